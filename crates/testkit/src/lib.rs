//! testkit (under construction)
