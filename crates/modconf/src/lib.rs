//! modconf (under construction)
