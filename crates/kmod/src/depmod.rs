//! The depmod engine (being written).
