//! Where a stack's state lives: a local file, or an object in S3. Decided once per
//! command from `--state` / STACKCTL_STATE, stack.toml's `[state]` table and the
//! defaults, in that order, so a CI job can point at its bucket without editing the
//! file.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(PathBuf),
    S3(S3Location),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub key: String,
    /// The bucket's region.
    pub region: String,
}

impl Location {
    /// Parses a `--state` value: `s3://BUCKET/KEY` or a file path. The region of an
    /// S3 location is filled in by the caller.
    pub fn parse(text: &str, s3_region: &str) -> Result<Location, String> {
        let Some(rest) = text.strip_prefix("s3://") else {
            return Ok(Location::Local(PathBuf::from(text)));
        };
        match rest.split_once('/') {
            Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => {
                Ok(Location::S3(S3Location {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                    region: s3_region.to_string(),
                }))
            }
            _ => Err(format!(
                "`{text}` names no object: write s3://BUCKET/KEY, e.g. s3://acme-state/stackctl/web.state.json"
            )),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local(path) => write!(f, "{}", path.display()),
            Location::S3(s3) => write!(f, "s3://{}/{}", s3.bucket, s3.key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_and_paths_are_told_apart() {
        assert_eq!(
            Location::parse("s3://acme/a/b.json", "eu-west-1").unwrap(),
            Location::S3(S3Location {
                bucket: "acme".into(),
                key: "a/b.json".into(),
                region: "eu-west-1".into()
            })
        );
        assert_eq!(
            Location::parse("state/web.json", "eu-west-1").unwrap(),
            Location::Local("state/web.json".into())
        );
        for bad in ["s3://acme", "s3://acme/", "s3:///key"] {
            let err = Location::parse(bad, "eu-west-1").unwrap_err();
            assert!(err.contains("s3://BUCKET/KEY"), "{err}");
        }
        let s3 = Location::parse("s3://acme/web.json", "x").unwrap();
        assert_eq!(s3.to_string(), "s3://acme/web.json");
    }
}
