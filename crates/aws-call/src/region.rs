//! AWS region names: the one rule every region value is checked against.

use std::fmt;

use crate::Error;

/// A checked AWS region name (`us-east-1`, `cn-north-1`, `us-gov-west-1`).
///
/// The rule — `[a-z0-9-]`, at least one `-`, neither first nor last, at most 32 bytes — is
/// deliberately loose so that a new region needs no release, and strict enough that a
/// region can be put into a host name or a credential scope as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Region(String);

impl Region {
    /// Checks `value` (taken as given: the caller trims).
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the value.
    pub fn parse(value: &str) -> Result<Self, Error> {
        if is_region_name(value) {
            Ok(Self(value.to_owned()))
        } else {
            Err(Error::Invalid {
                what: "region",
                value: value.to_owned(),
                reason: "expected a region name such as us-east-1".to_owned(),
            })
        }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Region {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

fn is_region_name(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 32
        && region.contains('-')
        && !region.starts_with('-')
        && !region.ends_with('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_region_names_pass_and_implausible_ones_do_not() {
        for good in ["us-east-1", "cn-north-1", "us-gov-west-1", "eu-central-2"] {
            assert_eq!(Region::parse(good).expect(good).as_str(), good);
        }
        for bad in [
            "",
            "US-EAST-1",
            "useast1",
            "-us",
            "us-",
            "us east 1",
            "us-east-1/x",
            " us-east-1",
            "evil.com/x?",
        ] {
            assert!(Region::parse(bad).is_err(), "{bad:?}");
        }
    }
}
