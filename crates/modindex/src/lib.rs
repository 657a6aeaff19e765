//! modindex (under construction)
