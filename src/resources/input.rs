//! A spec value that is either given in stack.toml or made by another resource of the
//! stack. A listener's certificate is the user's (`certificate_arn = "..."`) or the
//! one stackctl requested for `[domain]`; in state and in plans the first is a plain
//! string, as it always was, and the second a reference the dependency graph sees.

use super::{Ctx, Lookup, Ref, Wanted, known, wanted_ref};
use crate::aws::AwsError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Input {
    Ref(Ref),
    Given(String),
}

impl Input {
    pub fn wanted(&self, lookup: &dyn Lookup) -> Wanted {
        match self {
            Input::Ref(r) => wanted_ref(lookup, r),
            Input::Given(v) => known(v.clone()),
        }
    }

    /// The value for a create or update call (every reference exists by then).
    pub fn resolve(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        match self {
            Input::Ref(r) => ctx.resolve(r),
            Input::Given(v) => Ok(v.clone()),
        }
    }
}

impl From<String> for Input {
    fn from(v: String) -> Self {
        Input::Given(v)
    }
}

impl From<&str> for Input {
    fn from(v: &str) -> Self {
        Input::Given(v.to_string())
    }
}

impl From<Ref> for Input {
    fn from(r: Ref) -> Self {
        Input::Ref(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::{Address, Kind};
    use serde_json::json;

    /// A certificate ARN recorded by an earlier version (a plain string) still reads.
    #[test]
    fn a_given_value_is_a_plain_string_and_a_reference_an_object() {
        let given: Input = serde_json::from_value(json!("arn:aws:acm:x")).unwrap();
        assert_eq!(given, Input::Given("arn:aws:acm:x".into()));
        let r = Input::Ref(Ref::new(
            Address::new(Kind::Certificate, "load_balancer"),
            "arn",
        ));
        let value = serde_json::to_value(&r).unwrap();
        assert_eq!(
            value,
            json!({"ref": "certificate.load_balancer", "output": "arn"})
        );
        assert_eq!(serde_json::from_value::<Input>(value).unwrap(), r);
    }
}
