//! How secrets reach a pod.

use std::fmt;

use serde::Serialize;

/// How a pod gets a secret: the Vault Agent renders it, or the Secrets Store
/// CSI driver mounts it. The JSON output prints the names (`agent`, `csi`),
/// and users' scripts read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Injection {
    Agent,
    Csi,
}

impl Injection {
    pub fn as_str(self) -> &'static str {
        match self {
            Injection::Agent => "agent",
            Injection::Csi => "csi",
        }
    }
}

impl fmt::Display for Injection {
    // `pad`, so that widths in format strings (`{:<6}`) apply.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_as_scripts_read_them() {
        for i in [Injection::Agent, Injection::Csi] {
            assert_eq!(serde_json::to_value(i).unwrap(), i.as_str());
        }
        assert_eq!(format!("[{:<6}]", Injection::Csi), "[csi   ]");
    }
}
