//! `kubectl vaultscope ...`: kubectl runs `kubectl-vaultscope` from PATH
//! with the words after `vaultscope`. The same program as `vaultscope`;
//! main.rs tells the two apart by CARGO_BIN_NAME.

include!("../main.rs");
