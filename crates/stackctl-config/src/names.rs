//! Names and tag keys that stackctl itself puts on AWS objects. They live here, not
//! beside the resource kinds that write them, because validation must refuse a
//! stack.toml that would collide with them before any AWS call is made.

/// The tag every AWS console shows as an object's name; stackctl sets it.
pub const NAME_TAG: &str = "Name";
/// The prefix of every tag stackctl writes for itself.
pub const STACKCTL_PREFIX: &str = "stackctl:";
/// The prefix AWS reserves for the tags it manages (case-insensitive).
pub const AWS_PREFIX: &str = "aws:";
/// Characters a target group's name suffix takes (`-` and four hex digits), which
/// the 32-character ELBv2 name limit has to leave room for.
pub const TARGET_GROUP_NAME_SUFFIX_LEN: usize = 5;
