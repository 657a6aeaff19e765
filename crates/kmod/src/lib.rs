//! kmod (under construction)
