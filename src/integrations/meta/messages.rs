//! (Meta client work in progress: messages.)
