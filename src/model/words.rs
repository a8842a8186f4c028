//! Counted nouns: "1 pod", "2 pods", never "1 objects".

/// `n` and the noun in the number that fits it.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn one_is_singular_and_the_rest_plural() {
        assert_eq!(count(0, "pod", "pods"), "0 pods");
        assert_eq!(count(1, "object", "objects"), "1 object");
        assert_eq!(count(2, "entry", "entries"), "2 entries");
    }
}
