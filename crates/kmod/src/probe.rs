//! modprobe's resolution: configuration plus indexes → what to load or remove, in order (being written).
