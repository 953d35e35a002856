//! (Meta client work in progress: templates.)
