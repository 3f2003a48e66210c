//! Durations on the command line: `90` (seconds), `30s`, `5m`, `1h`, `1m30s`; parsed
//! by `humantime`, with a bare number taken as seconds.

use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arg(pub Duration);

impl FromStr for Arg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a duration (e.g. 90, 30s, 5m, 1h, 1m30s)");
        if let Ok(secs) = s.parse::<u64>() {
            return Ok(Arg(Duration::from_secs(secs)));
        }
        // humantime also takes `5min`, `1.5m`, `2h 30m` and the like; a sign or a
        // number without its unit it refuses.
        humantime::parse_duration(s).map(Arg).map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_refuse_the_rest() {
        let secs = |s: &str| s.parse::<Arg>().map(|a| a.0.as_secs());
        assert_eq!(secs("90"), Ok(90));
        assert_eq!(secs("30s"), Ok(30));
        assert_eq!(secs("5m"), Ok(300));
        assert_eq!(secs("1h"), Ok(3600));
        assert_eq!(secs("1m30s"), Ok(90));
        assert_eq!(secs("5min"), Ok(300));
        assert_eq!(secs("1.5m"), Ok(90));
        for bad in ["", "5x", "m", "1m30", "-1s"] {
            assert!(secs(bad).is_err(), "{bad}");
        }
    }
}
