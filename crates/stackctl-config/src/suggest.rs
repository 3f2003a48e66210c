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
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
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
