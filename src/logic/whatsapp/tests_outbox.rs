//! Tests of the health state machine.
