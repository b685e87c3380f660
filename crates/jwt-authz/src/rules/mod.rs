//! Channel and GraphQL field rules (being written).
