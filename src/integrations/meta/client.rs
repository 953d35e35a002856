//! (Meta client work in progress: client.)
