//! What installing and packaging depend on: the krew manifest template
//! names the binary Cargo builds, and a published crate ships no test data.

use serde_json::Value;

fn read(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_krew_manifest_installs_the_plugin_binary() {
    let m: Value = serde_yaml_ng::from_str(&read("packaging/krew/vaultscope.yaml")).unwrap();
    assert_eq!(m["kind"], "Plugin");
    assert_eq!(
        m["apiVersion"],
        "krew.googlecontainertools.github.com/v1alpha2"
    );
    // krew requires the manifest's file name to be the plugin's name.
    assert_eq!(m["metadata"]["name"], "vaultscope");
    let platforms = m["spec"]["platforms"].as_array().unwrap();
    assert!(platforms.len() >= 2);
    for p in platforms {
        // The binary that Cargo.toml's second [[bin]] builds.
        assert_eq!(p["bin"], "kubectl-vaultscope", "{p}");
        let from: Vec<&str> = p["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["from"].as_str().unwrap())
            .collect();
        assert_eq!(from, ["kubectl-vaultscope", "LICENSE"], "{p}");
        for key in ["os", "arch"] {
            assert!(p["selector"]["matchLabels"][key].is_string(), "{p}");
        }
    }
    let cargo: toml::Table = read("Cargo.toml").parse().unwrap();
    let bins: Vec<&str> = cargo["bin"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert!(bins.contains(&"kubectl-vaultscope"), "{bins:?}");
}

#[test]
fn the_published_crate_ships_code_not_test_data() {
    let cargo: toml::Table = read("Cargo.toml").parse().unwrap();
    let include: Vec<&str> = cargo["package"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for must in [
        "/src/**/*.rs",
        "/build.rs",
        "/LICENSE",
        "/README.md",
        "/themes/*.toml",
    ] {
        assert!(include.contains(&must), "{must} not in {include:?}");
    }
    for test_data in ["tests", "examples", "screenshots", "scripts", "benches"] {
        assert!(
            include
                .iter()
                .all(|i| !i.trim_start_matches('/').starts_with(test_data)),
            "{test_data} in {include:?}"
        );
    }
    // The license text matches the declared licence.
    assert_eq!(cargo["package"]["license"].as_str(), Some("Apache-2.0"));
    assert!(read("LICENSE").contains("Apache License\n                           Version 2.0"));
}
