//! (Meta emulator work in progress.)
