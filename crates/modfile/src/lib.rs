//! modfile (under construction)
