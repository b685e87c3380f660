//! Token verification and channel authorization for AppSync Lambda authorizers.

pub mod rules;
