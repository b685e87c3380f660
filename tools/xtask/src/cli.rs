//! The small command-line parser every command uses: `--flag value`, `--flag=value`,
//! switches, positional words, `-h`/`--help`.

/// One flag a command accepts.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    /// The flag as typed, e.g. `--ttl`.
    pub name: &'static str,
    /// Whether it takes a value.
    pub takes_value: bool,
}

/// A flag that takes a value.
pub const fn value(name: &'static str) -> Flag {
    Flag {
        name,
        takes_value: true,
    }
}

/// A flag without a value.
pub const fn switch(name: &'static str) -> Flag {
    Flag {
        name,
        takes_value: false,
    }
}

/// Parsed arguments.
#[derive(Debug, Default)]
pub struct Parsed {
    flags: Vec<(&'static str, String)>,
    /// Words that are not flags, in order.
    pub positional: Vec<String>,
    /// `-h` or `--help` was given.
    pub help: bool,
}

impl Parsed {
    /// The last value of `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values(name).last().copied()
    }

    /// Every value of a repeatable flag, in order.
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether switch `name` was given.
    pub fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|(n, _)| *n == name)
    }

    /// The value of `name` parsed as an integer.
    pub fn integer<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, String> {
        self.value(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| format!("{name}: {v:?} is not an integer"))
            })
            .transpose()
    }
}

/// Parses `raw` against `flags`.
pub fn parse(raw: Vec<String>, flags: &[Flag]) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut it = raw.into_iter();
    while let Some(arg) = it.next() {
        if arg == "-h" || arg == "--help" {
            parsed.help = true;
            continue;
        }
        if !arg.starts_with("--") {
            parsed.positional.push(arg);
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        let flag = flags
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| format!("unknown option {name}"))?;
        let value = match (flag.takes_value, inline) {
            (true, Some(value)) => value,
            (true, None) => it.next().ok_or_else(|| format!("{name} needs a value"))?,
            (false, None) => String::new(),
            (false, Some(_)) => return Err(format!("{name} takes no value")),
        };
        parsed.flags.push((flag.name, value));
    }
    Ok(parsed)
}

/// Writes `text` to standard output (commands print their results there; diagnostics go to
/// standard error).
pub fn print(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn values_switches_and_positionals() {
        let flags = [value("--ttl"), value("--claim"), switch("--check")];
        let parsed = parse(
            args(&[
                "run",
                "--ttl",
                "5",
                "--claim=a=1",
                "--claim",
                "b=2",
                "--check",
            ]),
            &flags,
        )
        .expect("parses");
        assert_eq!(parsed.positional, ["run"]);
        assert_eq!(parsed.integer::<i64>("--ttl"), Ok(Some(5)));
        assert_eq!(parsed.values("--claim"), ["a=1", "b=2"]);
        assert!(parsed.has("--check") && !parsed.help);
        assert!(parse(args(&["--nope"]), &flags).is_err());
        assert!(parse(args(&["--ttl"]), &flags).is_err());
        assert!(parse(args(&["--check=1"]), &flags).is_err());
    }
}
