//! srtfu
