//! Loading an offline bundle at the scale the design names: `check --from` on
//! 20,000 pods in 1,000 namespaces, about a fifth of them injected, each
//! injected pod with an agent log. The pods are the examples' pods, renamed.
//!
//! Time:        cargo bench --bench bundle_load
//! Peak memory: scripts/bench-bundle.sh (which makes its bundles with this
//!              binary: VAULTSCOPE_BENCH_BUNDLE=DIR:PODS)

use std::fmt::Write as _;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use criterion::Criterion;
use serde_json::Value;
use vaultscope::diagnose::diagnose;
use vaultscope::sources::bundle;

const PODS: usize = 20_000;
const NAMESPACES: usize = 1_000;
const INJECTED_EVERY: usize = 5;

struct Template {
    pod: Value,
    /// `(file name, text)` of the pod's agent logs in the example bundle.
    logs: Vec<(String, String)>,
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// The examples' pods, split into injected (they carry the injector's status
/// annotation) and the rest.
fn templates() -> (Vec<Template>, Vec<Template>) {
    let (mut injected, mut plain) = (Vec::new(), Vec::new());
    for name in ["healthy-mixed", "broken-auth", "broken-csi"] {
        let dir = examples().join(name);
        let text = fs::read_to_string(dir.join("pods.yaml")).unwrap();
        let list: Value = serde_yaml_ng::from_str(&text).unwrap();
        for pod in list["items"].as_array().unwrap() {
            let ns = pod["metadata"]["namespace"].as_str().unwrap();
            let name = pod["metadata"]["name"].as_str().unwrap();
            let logs = fs::read_dir(dir.join("logs").join(ns).join(name))
                .map(|rd| {
                    rd.map(|e| {
                        let p = e.unwrap().path();
                        let file = p.file_name().unwrap().to_string_lossy().into_owned();
                        (file, fs::read_to_string(&p).unwrap())
                    })
                    .collect()
                })
                .unwrap_or_default();
            let t = Template {
                pod: pod.clone(),
                logs,
            };
            if pod["metadata"]["annotations"]["vault.hashicorp.com/agent-inject-status"]
                == "injected"
            {
                injected.push(t);
            } else {
                plain.push(t);
            }
        }
    }
    (injected, plain)
}

/// Writes a bundle of `pods` pods to `dir` the way kubectl prints a List.
fn generate(dir: &Path, pods: usize) {
    let (injected, plain) = templates();
    fs::create_dir_all(dir).unwrap();
    let mut out = BufWriter::new(fs::File::create(dir.join("pods.yaml")).unwrap());
    out.write_all(b"apiVersion: v1\nitems:\n").unwrap();
    for i in 0..pods {
        let t = if i % INJECTED_EVERY == 0 {
            &injected[(i / INJECTED_EVERY) % injected.len()]
        } else {
            &plain[i % plain.len()]
        };
        let mut pod = t.pod.clone();
        let ns = format!("team-{:04}", i % NAMESPACES);
        let name = format!("{}-{i}", pod["metadata"]["name"].as_str().unwrap());
        pod["metadata"]["namespace"] = ns.clone().into();
        pod["metadata"]["name"] = name.clone().into();
        pod["metadata"]["uid"] = format!("00000000-0000-4000-8000-{i:012}").into();
        let item = serde_yaml_ng::to_string(&pod).unwrap();
        let mut indented = String::with_capacity(item.len() + 512);
        for (n, line) in item.lines().enumerate() {
            let lead = if n == 0 { "- " } else { "  " };
            if line.is_empty() {
                indented.push('\n');
            } else {
                writeln!(indented, "{lead}{line}").unwrap();
            }
        }
        out.write_all(indented.as_bytes()).unwrap();
        for (file, text) in &t.logs {
            let d = dir.join("logs").join(&ns).join(&name);
            fs::create_dir_all(&d).unwrap();
            fs::write(d.join(file), text).unwrap();
        }
    }
    out.write_all(b"kind: List\nmetadata:\n  resourceVersion: \"\"\n")
        .unwrap();
    out.flush().unwrap();
    fs::copy(
        examples().join("healthy-mixed/bundle.json"),
        dir.join("bundle.json"),
    )
    .unwrap();
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), PODS);
    let mut g = c.benchmark_group("bundle, 20k pods");
    g.sample_size(10);
    g.bench_function("load, fold and diagnose (check --from)", |b| {
        b.iter(|| {
            let (world, at) = bundle::load(dir.path()).unwrap().into_world();
            diagnose(&world, at.unwrap())
        })
    });
    g.finish();
}

fn main() {
    if let Ok(spec) = std::env::var("VAULTSCOPE_BENCH_BUNDLE") {
        let (dir, pods) = spec
            .rsplit_once(':')
            .expect("VAULTSCOPE_BENCH_BUNDLE=DIR:PODS");
        generate(Path::new(dir), pods.parse().expect("a number of pods"));
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
