//! "Did you mean": the valid name a mistyped one most likely meant.

/// The candidate nearest to `wanted`, if it is close enough to be a typo of it (a
/// third of its letters off, at least one).
pub fn nearest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let (best, distance) = candidates
        .map(|c| (c, typo_distance(wanted, c)))
        .min_by_key(|(_, d)| *d)?;
    let allowed = (wanted.chars().count() / 3).max(1);
    (distance <= allowed).then_some(best)
}

/// Edits between two keys, a swap of neighbours counting as one (optimal string
/// alignment): `imgae` is one edit from `image`.
fn typo_distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swapped_pair_is_one_typo_and_far_names_are_not_suggested() {
        assert_eq!(typo_distance("imgae", "image"), 1);
        assert_eq!(typo_distance("servces", "services"), 1);
        assert_eq!(typo_distance("cpu", "memory"), 6);
        assert_eq!(nearest("prdo", ["dev", "prod"].into_iter()), Some("prod"));
        assert_eq!(nearest("qa", ["dev", "prod"].into_iter()), None);
    }
}
