# shellcheck shell=bash
# Sourced by scripts/lab.sh. Builds (once per version) and caches the lab's binaries
# outside the checkout:
#   $LAB_CACHE/bin/<name>-<version>/<name>
# with the Go module and build caches under $LAB_CACHE too, so re-runs (and fresh clones
# on the same machine) reuse everything.

lab_go_env() {
  export GOMODCACHE="$LAB_CACHE/gomod"
  export GOCACHE="$LAB_CACHE/gobuild"
  export GOFLAGS="-modcacherw"
  # kubernetes v1.37.x declares `go 1.26.0`: the local Go 1.26.x accepts it.
  export GOTOOLCHAIN="${LAB_GOTOOLCHAIN:-local}"
  export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"
  # 2 cores, ~1.8 GB per kube-apiserver link: 2 parallel actions at most.
  LAB_GO_P="${LAB_GO_P:-2}"
}

# _install_bin NAME VERSION BUILT_FILE : atomically move a freshly built binary in place.
_install_bin() {
  local name=$1 ver=$2 built=$3 dir="$LAB_CACHE/bin/$1-$2"
  mkdir -p "$dir"
  mv -f "$built" "$dir/$name.tmp.$$"
  mv -f "$dir/$name.tmp.$$" "$dir/$name"
}

bin_path() { echo "$LAB_CACHE/bin/$1-$2/$1"; }

# Wrapper module for k8s.io/kubernetes: require kubernetes vX and replace every staging
# module (the `=> ./staging/...` lines of that version's go.mod) by its published v0.Y.Z.
_k8s_wrapper() {
  local ver=$K8S_VERSION minor dir gomod staged
  minor=${ver#v1.}; minor=${minor%%.*}
  dir="$LAB_CACHE/src/k8s-$ver"
  if [[ -f "$dir/.ready" ]]; then echo "$dir"; return; fi
  mkdir -p "$dir"
  gomod=$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$ver" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [[ -f "$gomod" ]] || { log "cannot download k8s.io/kubernetes@$ver"; return 1; }
  staged=$(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "$gomod" | sort -u)
  [[ -n "$staged" ]] || { log "no staging replace lines found in $gomod"; return 1; }
  {
    echo "module local/k8sbins"
    echo
    echo "go $(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod")"
    echo
    echo "require k8s.io/kubernetes $ver"
    echo
    echo "replace ("
    local m
    for m in $staged; do echo "	$m => $m v0.${ver#v1.}"; done
    echo ")"
  } >"$dir/go.mod"
  cat >"$dir/tools.go" <<'EOF'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
EOF
  log "k8s wrapper module: $(echo "$staged" | wc -l) staging replaces; go mod tidy ..."
  (cd "$dir" && go mod tidy) >&2
  touch "$dir/.ready"
  echo "$dir"
}

_build_k8s() {
  local want=() b
  for b in kube-apiserver kubectl; do
    [[ -x "$(bin_path "$b" "$K8S_VERSION")" ]] || want+=("$b")
  done
  ((${#want[@]})) || return 0
  local dir minor out t0=$SECONDS
  dir=$(_k8s_wrapper)
  minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  out=$(mktemp -d "$LAB_CACHE/tmp.XXXXXX")
  local ld="-s -w"
  local pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  local pkgs=()
  for b in "${want[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  log "building ${want[*]} $K8S_VERSION (cold: 5-10 min on 2 cores) ..."
  (cd "$dir" && CGO_ENABLED=0 go build -p "$LAB_GO_P" -trimpath -ldflags "$ld" -o "$out/" "${pkgs[@]}") >&2
  for b in "${want[@]}"; do _install_bin "$b" "$K8S_VERSION" "$out/$b"; done
  rmdir "$out"
  log "built ${want[*]} in $((SECONDS - t0)) s"
}

_build_kine() {
  [[ -x "$(bin_path kine "$KINE_VERSION")" ]] && return 0
  local out t0=$SECONDS
  out=$(mktemp -d "$LAB_CACHE/tmp.XXXXXX")
  log "building kine $KINE_VERSION (cgo, sqlite) ..."
  (cd "$out" && CGO_ENABLED=1 GOBIN="$out" go install -p "$LAB_GO_P" -trimpath \
     -ldflags "-s -w -X github.com/k3s-io/kine/pkg/version.Version=$KINE_VERSION" \
     "github.com/k3s-io/kine@$KINE_VERSION") >&2
  _install_bin kine "$KINE_VERSION" "$out/kine"
  rmdir "$out"
  log "built kine in $((SECONDS - t0)) s"
}

_build_kwok() {
  [[ -x "$(bin_path kwok "$KWOK_VERSION")" ]] && return 0
  local out t0=$SECONDS
  out=$(mktemp -d "$LAB_CACHE/tmp.XXXXXX")
  log "building kwok $KWOK_VERSION ..."
  (cd "$out" && CGO_ENABLED=0 GOBIN="$out" go install -p "$LAB_GO_P" -trimpath \
     -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION") >&2
  _install_bin kwok "$KWOK_VERSION" "$out/kwok"
  rmdir "$out"
  log "built kwok in $((SECONDS - t0)) s"
}

# Module dirs (in the module cache) of things we read files from.
mod_dir() {
  local d="$GOMODCACHE/$1@$2"
  if [[ ! -d "$d" ]]; then
    (cd "$LAB_CACHE" && go mod download "$1@$2") >&2
  fi
  echo "$d"
}

build_all() {
  mkdir -p "$LAB_CACHE/bin"
  lab_go_env
  local lock="$LAB_CACHE/build.lock"
  exec 9>"$lock"
  if ! flock -n 9; then
    log "another build holds $lock; waiting ..."
    flock 9
  fi
  # leftovers of interrupted builds (only builds holding this lock create them)
  rm -rf "$LAB_CACHE"/tmp.??????
  _build_kine
  _build_kwok
  _build_k8s
  flock -u 9
  exec 9>&-
}
