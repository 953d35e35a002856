//! Tests for the Meta webhook module.
