#!/usr/bin/env python3
"""examples/kubernetes/*.yaml: valid YAML (yamllint and PyYAML), the objects the README
promises, RBAC that grants what discovery does (get, list, watch pods), the agent and the
cache sharing the socket's emptyDir, labels that match the configured selector, and a
cachecluster.ini that `cachecluster check-config` accepts.

usage: kubernetes_yaml_test.py EXAMPLES_DIR CACHECLUSTER_BINARY
"""
import configparser
import glob
import os
import subprocess
import sys
import tempfile

import yaml

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def main():
    examples, binary = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(examples, "*.yaml")))
    check(len(files) == 4, f"expected 4 YAML files, found {files}")

    lint = subprocess.run(
        ["yamllint", "-s", "-d",
         "{extends: default, rules: {line-length: {max: 100}, document-start: disable}}"] + files,
        capture_output=True, text=True)
    check(lint.returncode == 0, "yamllint:\n" + lint.stdout + lint.stderr)

    docs = {}
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for d in yaml.safe_load_all(fh):
                check(isinstance(d, dict), f"{f}: a document that is not a mapping")
                if not isinstance(d, dict):
                    continue
                for key in ("apiVersion", "kind", "metadata"):
                    check(key in d, f"{f}: {d.get('kind')} without {key}")
                docs[(d["kind"], d["metadata"]["name"])] = d

    for want in [("ServiceAccount", "cachecluster"), ("Role", "cachecluster-pods"),
                 ("RoleBinding", "cachecluster-pods"), ("ClusterRole", "cachecluster-nodes"),
                 ("ClusterRoleBinding", "cachecluster-nodes-cache"), ("ConfigMap", "cachecluster"),
                 ("Deployment", "cache"), ("DaemonSet", "cache")]:
        check(want in docs, f"missing {want[0]} {want[1]}")

    role = docs.get(("Role", "cachecluster-pods"), {})
    rules = role.get("rules", [])
    check(any("pods" in r.get("resources", []) and r.get("apiGroups") == [""] and
              set(r.get("verbs", [])) == {"get", "list", "watch"} for r in rules),
          "the Role must grant get, list and watch on pods (core group)")
    binding = docs.get(("RoleBinding", "cachecluster-pods"), {})
    check(binding.get("roleRef", {}).get("name") == "cachecluster-pods", "RoleBinding roleRef")
    check({"kind": "ServiceAccount", "name": "cachecluster"} in binding.get("subjects", []),
          "RoleBinding subject is the cachecluster ServiceAccount")

    ini_text = docs.get(("ConfigMap", "cachecluster"), {}).get("data", {}).get("cachecluster.ini", "")
    ini = configparser.ConfigParser()
    ini.read_string(ini_text)
    check(ini.get("cluster", "discovery", fallback="") == "kubernetes", "discovery = kubernetes")
    selector = ini.get("kubernetes", "label_selector", fallback="")
    key, _, value = selector.partition("=")
    socket = ini.get("publish", "socket", fallback="")
    port_name = ini.get("kubernetes", "port_name", fallback="")

    for kind in ("Deployment", "DaemonSet"):
        w = docs.get((kind, "cache"), {})
        spec = w.get("spec", {})
        pod = spec.get("template", {}).get("spec", {})
        labels = spec.get("template", {}).get("metadata", {}).get("labels", {})
        check(labels.get(key) == value, f"{kind}: pod labels must match label_selector {selector}")
        check(spec.get("selector", {}).get("matchLabels", {}).items() <= labels.items(),
              f"{kind}: selector must match the template's labels")
        check(pod.get("serviceAccountName") == "cachecluster", f"{kind}: service account")
        empty_dirs = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
        containers = {c["name"]: c for c in pod.get("containers", [])}
        check(set(containers) == {"cache", "cachecluster"}, f"{kind}: cache and agent containers")
        for name, c in containers.items():
            mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
            shared = [n for n in mounts if n in empty_dirs]
            check(len(shared) == 1 and os.path.dirname(socket) == mounts[shared[0]],
                  f"{kind}/{name}: mounts the socket's emptyDir at {os.path.dirname(socket)}")
        agent = containers.get("cachecluster", {})
        ports = {p.get("name"): p for p in agent.get("ports", [])}
        check(port_name in ports and ports[port_name].get("protocol") == "UDP",
              f"{kind}: the agent's {port_name} port (UDP)")
        check(any(e.get("name") == "POD_NAME" and
                  e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.name"
                  for e in agent.get("env", [])), f"{kind}: POD_NAME from the downward API")
        check(agent.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/ready",
              f"{kind}: readiness on /ready")

    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as fh:
        fh.write(ini_text)
        path = fh.name
    try:
        r = subprocess.run([binary, "check-config", "--config", path], capture_output=True, text=True)
        check(r.returncode == 0, "cachecluster check-config on the ConfigMap's ini:\n" + r.stdout + r.stderr)
    finally:
        os.unlink(path)

    for f in failures:
        print("FAIL:", f)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
