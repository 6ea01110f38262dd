#!/usr/bin/python3
"""Checks the Kubernetes manifests of deploy/k8s/ without a cluster.

Run through scripts/check-k8s.sh, under Debian's /usr/bin/python3 with
python3-yaml and python3-jsonschema. Three layers:
  1. deploy/k8s/job-schema.json: fields, types, enums, required fields;
  2. the cross-field rules the API server applies to a Job
     (kubernetes/kubernetes pkg/apis/batch/validation/validation.go, and
     https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/job-v1/);
  3. detsim's own: the pod failure policy, evaluated the way the Job
     controller does (rules in order, the first match wins, no match counts
     against the backoff limit: https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-failure-policy),
     must treat each detsim exit code as docs/scale-out.md says, and the
     shard count must match the Job's completions.
Then it makes broken copies of the manifests and checks each is rejected,
so the checks themselves can fail. With --detsim, it also runs the pods'
shell commands here, as the Job controller would start them (an index in
JOB_COMPLETION_INDEX, the manifest's env), with a temporary directory for
the volume: every index, then the merge Job, whose output must equal the
unsharded run's; and an index with a bad scenario must exit 64, one with an
unwritable volume 74.

Usage: scripts/check_k8s.py [--detsim PATH] [DIR]   (default: deploy/k8s)
Exit 0 when everything holds, else 1.
"""
import copy
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import jsonschema
import yaml

# detsim's exit codes (detsim run --help, docs/scale-out.md).
SEED_FAILED = (1, 2, 3)  # safety, liveness, model crashed: deterministic
BAD_INPUT = 64  # the job is misconfigured: deterministic
INFRASTRUCTURE = (71, 74)  # no worker, an output not written: retry
# What a pod killed by preemption or eviction exits with (SIGTERM, SIGKILL).
KILLED = (137, 143)
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def load(directory):
    """{file name: object} for every *.yaml in the directory."""
    return {path.name: yaml.safe_load(path.read_text()) for path in sorted(directory.glob("*.yaml"))}


def schema_errors(validator, name, obj):
    return [f"{name}: {'/'.join(map(str, e.absolute_path)) or '.'}: {e.message}" for e in validator.iter_errors(obj)]


def pod_spec(job):
    return job["spec"]["template"]["spec"]


def api_errors(name, job):
    """The JobSpec rules the API server checks beyond the schema."""
    spec, pod = job["spec"], pod_spec(job)
    errors = []
    indexed = spec.get("completionMode") == "Indexed"
    if indexed and "completions" not in spec:
        errors.append("completions is required when completionMode is Indexed")
    if indexed and spec.get("parallelism", 0) > 100000:
        errors.append("parallelism must be <= 100000 when completionMode is Indexed")
    for field in ("backoffLimitPerIndex", "maxFailedIndexes"):
        if field in spec and not indexed:
            errors.append(f"{field} requires completionMode Indexed")
    if "maxFailedIndexes" in spec:
        if "backoffLimitPerIndex" not in spec:
            errors.append("maxFailedIndexes requires backoffLimitPerIndex")
        if "completions" in spec and spec["maxFailedIndexes"] > spec["completions"]:
            errors.append("maxFailedIndexes must be <= completions")
    restart = pod.get("restartPolicy", "Always")
    if restart not in ("OnFailure", "Never"):
        errors.append(f"restartPolicy {restart!r}: a Job's pods need OnFailure or Never")
    if "podFailurePolicy" in spec and restart != "Never":
        errors.append("restartPolicy must be Never when podFailurePolicy is set")
    if "backoffLimitPerIndex" in spec and restart != "Never":
        errors.append("restartPolicy must be Never when backoffLimitPerIndex is set")
    if "podFailurePolicy" in spec and spec.get("podReplacementPolicy", "Failed") != "Failed":
        errors.append("podReplacementPolicy must be Failed when podFailurePolicy is set")
    if indexed and spec.get("completions", 0) > 0:
        hostname = f"{job['metadata']['name']}-{spec['completions'] - 1}"
        if len(hostname) > 63 or not DNS1123_LABEL.match(hostname):
            errors.append(f"metadata.name: pod hostname {hostname!r} is not a DNS-1123 label")
    errors += policy_api_errors(spec, pod)
    errors += pod_api_errors(pod)
    return [f"{name}: {e}" for e in errors]


def policy_api_errors(spec, pod):
    errors = []
    names = {c["name"] for c in pod["containers"] + pod.get("initContainers", [])}
    for i, rule in enumerate(spec.get("podFailurePolicy", {}).get("rules", [])):
        where = f"podFailurePolicy.rules[{i}]"
        if rule["action"] == "FailIndex" and "backoffLimitPerIndex" not in spec:
            errors.append(f"{where}: action FailIndex requires backoffLimitPerIndex")
        codes = rule.get("onExitCodes")
        if codes is None:
            continue
        if codes.get("containerName", next(iter(names))) not in names:
            errors.append(f"{where}.onExitCodes.containerName {codes['containerName']!r} names no container")
        if codes["values"] != sorted(codes["values"]):
            errors.append(f"{where}.onExitCodes.values must be ordered")
        if codes["operator"] == "In" and 0 in codes["values"]:
            errors.append(f"{where}.onExitCodes.values must not hold 0 for In")
    return errors


def pod_api_errors(pod):
    errors = []
    containers = pod["containers"] + pod.get("initContainers", [])
    if len({c["name"] for c in containers}) != len(containers):
        errors.append("container names must be unique")
    volumes = [v["name"] for v in pod.get("volumes", [])]
    if len(set(volumes)) != len(volumes):
        errors.append("volume names must be unique")
    for container in containers:
        for mount in container.get("volumeMounts", []):
            if mount["name"] not in volumes:
                errors.append(f"volumeMount {mount['name']!r} names no volume")
    return errors


def first_matching_action(rules, container, exit_code, conditions=()):
    """The action the Job controller takes for a pod whose one container
    `container` exited with `exit_code` and which has `conditions` True;
    "Count" when no rule matches (the default)."""
    for rule in rules:
        codes = rule.get("onExitCodes")
        if codes is not None:
            if codes.get("containerName", container) != container or exit_code == 0:
                continue
            inside = exit_code in codes["values"]
            if inside == (codes["operator"] == "In"):
                return rule["action"]
        for pattern in rule.get("onPodConditions", []):
            if pattern["type"] in conditions and pattern.get("status", "True") == "True":
                return rule["action"]
    return "Count"


def detsim_errors(name, job):
    """The Job must handle detsim's exit codes as docs/scale-out.md says."""
    spec, pod = job["spec"], pod_spec(job)
    if len(pod["containers"]) != 1:
        return [f"{name}: one container expected (the one running detsim)"]
    container = pod["containers"][0]
    rules = spec.get("podFailurePolicy", {}).get("rules", [])
    indexed = spec.get("completionMode") == "Indexed"
    seed_failed = "FailIndex" if indexed else "FailJob"
    wanted = {code: seed_failed for code in SEED_FAILED}
    wanted[BAD_INPUT] = "FailJob"
    wanted.update({code: "Count" for code in INFRASTRUCTURE})
    errors = []
    for code, action in wanted.items():
        got = first_matching_action(rules, container["name"], code)
        if got != action:
            errors.append(f"detsim exit {code} leads to {got}, not {action}")
    for code in KILLED:
        got = first_matching_action(rules, container["name"], code, conditions=("DisruptionTarget",))
        if got != "Ignore":
            errors.append(f"a preempted pod (DisruptionTarget, exit {code}) leads to {got}, not Ignore")
    script = " ".join(container.get("command", []) + container.get("args", []))
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    if indexed:
        errors += shard_errors(spec, script, env)
    return [f"{name}: {e}" for e in errors]


def shard_errors(spec, script, env):
    errors = []
    if "--shard auto" not in script or "${JOB_COMPLETION_INDEX}" not in script:
        errors.append("the command must run --shard auto and name its file after ${JOB_COMPLETION_INDEX}")
    if env.get("DETSIM_SHARD_COUNT") != str(spec.get("completions")):
        errors.append(
            f"DETSIM_SHARD_COUNT {env.get('DETSIM_SHARD_COUNT')!r} differs from completions {spec.get('completions')}"
        )
    if spec.get("backoffLimitPerIndex", 0) < 1:
        errors.append("backoffLimitPerIndex must be >= 1, or exits 71 and 74 are never retried")
    if spec.get("maxFailedIndexes") != spec.get("completions"):
        errors.append("maxFailedIndexes must equal completions: failing seeds must not cancel the other shards")
    return errors


def claim_errors(objects):
    """Every claim a Job mounts is one of the manifests, ReadWriteMany."""
    claims = {o["metadata"]["name"]: o for o in objects.values() if o.get("kind") == "PersistentVolumeClaim"}
    errors = []
    for name, obj in objects.items():
        if obj.get("kind") != "Job":
            continue
        for volume in pod_spec(obj).get("volumes", []):
            claim = volume.get("persistentVolumeClaim", {}).get("claimName")
            if claim is None:
                continue
            if claim not in claims:
                errors.append(f"{name}: claim {claim!r} is in no manifest")
            elif "ReadWriteMany" not in claims[claim]["spec"]["accessModes"]:
                errors.append(f"{name}: claim {claim!r} is not ReadWriteMany (the shards run on several nodes)")
    return errors


def check(validator, objects):
    errors = []
    for name, obj in objects.items():
        found = schema_errors(validator, name, obj)
        errors += found
        if not found and obj["kind"] == "Job":
            errors += api_errors(name, obj) + detsim_errors(name, obj)
    if not errors:
        errors += claim_errors(objects)
    return errors


def job_of(objects):
    return objects["detsim-job.yaml"]


def rules_of(objects):
    return job_of(objects)["spec"]["podFailurePolicy"]["rules"]


def container_of(objects):
    return pod_spec(job_of(objects))["containers"][0]


def set_path(obj, path, value):
    *parents, last = path
    for key in parents:
        obj = obj[key]
    obj[last] = value


def del_path(obj, path):
    *parents, last = path
    for key in parents:
        obj = obj[key]
    del obj[last]


# (what is broken, how, a phrase the rejection must contain)
BROKEN_COPIES = [
    ("a misspelt field", lambda o: job_of(o)["spec"].update(completionMod="Indexed"), "completionMod"),
    ("Indexed without completions", lambda o: del_path(job_of(o), ["spec", "completions"]), "completions is required"),
    (
        "backoffLimitPerIndex without Indexed",
        lambda o: del_path(job_of(o), ["spec", "completionMode"]),
        "backoffLimitPerIndex requires completionMode Indexed",
    ),
    (
        "FailIndex without backoffLimitPerIndex",
        lambda o: [del_path(job_of(o), ["spec", f]) for f in ("backoffLimitPerIndex", "maxFailedIndexes")],
        "FailIndex requires backoffLimitPerIndex",
    ),
    ("exit code 0 with In", lambda o: rules_of(o)[0]["onExitCodes"]["values"].insert(0, 0), "should not be valid"),
    ("unordered exit codes", lambda o: rules_of(o)[0]["onExitCodes"].update(values=[3, 1, 2]), "must be ordered"),
    ("an unknown action", lambda o: rules_of(o)[0].update(action="Failindex"), "'Failindex' is not one of"),
    (
        "restartPolicy OnFailure with a pod failure policy",
        lambda o: pod_spec(job_of(o)).update(restartPolicy="OnFailure"),
        "restartPolicy must be Never",
    ),
    ("a rule for another container", lambda o: rules_of(o)[1]["onExitCodes"].update(containerName="main"), "names no container"),
    ("exit 3 failing the whole Job", lambda o: rules_of(o)[0]["onExitCodes"].update(values=[1, 2]), "exit 3 leads to Count"),
    ("exit 74 never retried", lambda o: rules_of(o)[0]["onExitCodes"].update(values=[1, 2, 3, 74]), "exit 74 leads to FailIndex"),
    ("64 retried", lambda o: rules_of(o).pop(1), "exit 64 leads to Count"),
    ("preemption counted", lambda o: rules_of(o).pop(2), "leads to Count, not Ignore"),
    (
        "a NotIn rule before the Ignore rule",
        lambda o: rules_of(o).insert(0, {"action": "FailJob", "onExitCodes": {"operator": "NotIn", "values": [1, 2, 3, 71, 74]}}),
        "exit 137) leads to FailJob",
    ),
    (
        "a shard count unlike completions",
        lambda o: set_path(container_of(o), ["env", 2, "value"], "4"),
        "DETSIM_SHARD_COUNT '4' differs from completions 8",
    ),
    ("maxFailedIndexes above completions", lambda o: job_of(o)["spec"].update(maxFailedIndexes=9), "must be <= completions"),
    ("an env var with value and valueFrom", lambda o: container_of(o)["env"][0].update(valueFrom={"fieldRef": {"fieldPath": "x"}}), "should not be valid"),
    ("a mount of no volume", lambda o: container_of(o)["volumeMounts"][0].update(name="output"), "names no volume"),
    (
        "a ReadWriteOnce claim",
        lambda o: o["detsim-results-pvc.yaml"]["spec"].update(accessModes=["ReadWriteOnce"]),
        "not ReadWriteMany",
    ),
    ("a Job name too long for its pods", lambda o: job_of(o)["metadata"].update(name="d" * 62), "not a DNS-1123 label"),
]


def run_broken_copies(validator, objects):
    failures = []
    for what, breaks, phrase in BROKEN_COPIES:
        broken = copy.deepcopy(objects)
        breaks(broken)
        errors = check(validator, broken)
        if not any(phrase in e for e in errors):
            failures.append(f"{what}: not rejected with {phrase!r}; got {errors or 'no error'}")
    return failures


def pod_command(job, results, detsim, **env_overrides):
    """The pod's command line and environment, run here: /results becomes
    `results`, detsim is found on PATH."""
    container = pod_spec(job)["containers"][0]
    argv = [arg.replace("/results", results) for arg in container["command"] + container.get("args", [])]
    env = {"PATH": f"{pathlib.Path(detsim).resolve().parent}:/usr/bin:/bin"}
    env.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
    env.update(env_overrides)
    return argv, env


def without_wall(text):
    return re.sub(r"wall_s=[0-9.e+-]+", "", text)


# A few seeds, so the simulation takes about a second.
SIMULATED_SEEDS = "1..40"


def simulate(objects, detsim):
    """Runs every index of the Job and then the merge Job here."""
    job, merge = objects["detsim-job.yaml"], objects["detsim-merge-job.yaml"]
    errors = []
    with tempfile.TemporaryDirectory() as results:
        for index in range(job["spec"]["completions"]):
            argv, env = pod_command(job, results, detsim, JOB_COMPLETION_INDEX=str(index), DETSIM_SEEDS=SIMULATED_SEEDS)
            status = subprocess.run(argv, env=env, check=False).returncode
            if status != 0:
                errors.append(f"index {index} exited {status}, not 0")
        argv, env = pod_command(merge, results, detsim)
        merged = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        scenario = pod_command(job, results, detsim)[1]["DETSIM_SCENARIO"]
        plain = subprocess.run([detsim, "run", scenario, "--seeds", SIMULATED_SEEDS], capture_output=True, text=True)
        if merged.returncode != plain.returncode or without_wall(merged.stdout) != without_wall(plain.stdout):
            errors.append(f"the merge (exit {merged.returncode}) differs from the unsharded run (exit {plain.returncode})")
    with tempfile.TemporaryDirectory() as results:
        for what, volume, overrides, want in (
            ("a bad scenario", results, {"DETSIM_SCENARIO": "no-such-scenario"}, BAD_INPUT),
            ("an unwritable volume", os.path.join(results, "missing", "results"), {}, 74),
        ):
            argv, env = pod_command(job, volume, detsim, JOB_COMPLETION_INDEX="0", DETSIM_SEEDS="1..2", **overrides)
            status = subprocess.run(argv, env=env, capture_output=True, check=False).returncode
            if status != want:
                errors.append(f"an index with {what} exited {status}, not {want}")
        if os.path.exists(os.path.join(results, "shard-0.jsonl")):
            errors.append("an index that exited 64 left a shard file (not .part) for the merge")
    return errors


def main():
    args = sys.argv[1:]
    detsim = None
    if args[:1] == ["--detsim"]:
        detsim, args = args[1], args[2:]
    here = pathlib.Path(__file__).resolve().parent
    directory = pathlib.Path(args[0]) if args else here.parent / "deploy" / "k8s"
    schema = json.loads((directory / "job-schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    objects = load(directory)
    errors = check(validator, objects)
    if not errors:
        errors += [f"broken copy passed: {f}" for f in run_broken_copies(validator, objects)]
    if not errors and detsim is not None:
        errors += [f"simulated pods: {e}" for e in simulate(objects, detsim)]
    for error in errors:
        print(f"check-k8s: {error}", file=sys.stderr)
    if errors:
        return 1
    simulated = "; pods simulated with " + detsim if detsim else ""
    print(f"check-k8s: OK: {', '.join(objects)} valid; {len(BROKEN_COPIES)} broken copies rejected{simulated}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
