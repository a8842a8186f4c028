//! Counted nouns: "1 pod", "2 pods", never "1 objects".

/// `n` and the noun in the number that fits it.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// [`count`] with thousands separators, for the numbers of a big
/// cluster: `20,008 pods`.
pub fn count_grouped(n: usize, one: &str, many: &str) -> String {
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::{count, count_grouped};

    #[test]
    fn big_numbers_group_thousands() {
        assert_eq!(count_grouped(1, "pod", "pods"), "1 pod");
        assert_eq!(count_grouped(999, "pod", "pods"), "999 pods");
        assert_eq!(count_grouped(20_008, "pod", "pods"), "20,008 pods");
        assert_eq!(count_grouped(1_234_567, "pod", "pods"), "1,234,567 pods");
    }

    #[test]
    fn one_is_singular_and_the_rest_plural() {
        assert_eq!(count(0, "pod", "pods"), "0 pods");
        assert_eq!(count(1, "object", "objects"), "1 object");
        assert_eq!(count(2, "entry", "entries"), "2 entries");
    }
}
