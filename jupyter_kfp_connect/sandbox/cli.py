"""``jupyter-kfp-sandbox``: run the local KFP stand-in behind a chosen login front, for demos and
for trying the extension without a cluster."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from .fronts import FRONTS

DEMO_NAMESPACE = "kubeflow-user-example-com"
GATEWAY_MODES = ("dex", "authservice")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jupyter-kfp-sandbox",
        description="A local Kubeflow Pipelines (v2beta1 API) behind the login front of your choice.",
    )
    p.add_argument("--mode", choices=sorted(FRONTS), default="dex",
                   help="what stands before KFP (default: dex = Kubeflow 1.9+ oauth2-proxy + Dex)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (0 = any free port; default 8080)")
    p.add_argument("--db", default=":memory:", help="SQLite file to keep pipelines in (default: memory)")
    p.add_argument("--pipeline-store", choices=("database", "kubernetes"), default="database",
                   help="where KFP keeps pipelines: its database (default) or Kubernetes objects "
                        "(KFP's --pipelinesStoreKubernetes; also serves an emulated Kubernetes API "
                        "for the Pipeline and PipelineVersion resources)")
    p.add_argument("--seed", type=int, default=0, metavar="N",
                   help="create N demo pipelines in the demo namespace (and N shared ones) "
                        "when the store holds none yet, so a kept --db is seeded once")
    p.add_argument("--session-lifetime", type=float, metavar="SECONDS",
                   help="session cookie lifetime (gateway modes; default 86400)")
    p.add_argument("--approval", action="store_true", help="show Dex's approval screen (gateway modes)")
    p.add_argument("--connectors", metavar="LIST", help="Dex connectors, e.g. local,ldap (gateway modes)")
    p.add_argument("--dashboard", choices=("json", "html", "error"),
                   help="gateway modes: what /api/workgroup/env-info answers (default json: the "
                        "central dashboard; html: another app at the gateway's root; error: KFAM down)")
    p.add_argument("--latency", type=float, default=0.0, metavar="SECONDS",
                   help="delay every request by this much")
    return p


def front_options(args: argparse.Namespace) -> dict[str, Any]:
    """Only the options the chosen mode understands; others are a usage error, not ignored."""
    gateway = {"session_lifetime": args.session_lifetime, "approval": args.approval or None,
               "connectors": args.connectors, "dashboard": args.dashboard}
    in_cluster: dict[str, Any] = {}
    given = {k: v for k, v in {**gateway, **in_cluster}.items() if v is not None}
    allowed = set(gateway) if args.mode in GATEWAY_MODES else set(in_cluster) if args.mode == "in-cluster" else set()
    wrong = sorted(set(given) - allowed)
    if wrong:
        flags = ", ".join("--" + name.replace("_", "-") for name in wrong)
        raise SystemExit(f"jupyter-kfp-sandbox: {flags} does not apply to --mode {args.mode}")
    return given


def describe(sb: Any, token_file: Path | None) -> str:
    info = sb.controls.info()
    lines = [
        f"KFP sandbox ({sb.mode}) running.",
        f"  gateway / API origin : {sb.url}",
        f"  kfp.Client(host=...) : {sb.kfp_host}",
        f"  test controls        : {sb.url}/_sandbox/info",
        f"    header             : X-Sandbox-Token: {sb.control_token}",
        f"    state folder       : {sb.state_dir}  (token files live here)",
    ]
    if sb.kube is not None:
        lines.append(f"  Kubernetes API       : {sb.url}  (pipelines.kubeflow.org/v2beta1, "
                     "SelfSubjectAccessReview)")
    if info["users"]:
        lines.append("  demo users (Dex):")
        for user in info["users"]:
            where = ", ".join(user["namespaces"]) or "-"
            lines.append(f"    {user['login']} / {user['password']}  [{user['connector']}]  namespaces: {where}")
    if token_file is not None:
        lines += [
            f"  ServiceAccount token : {token_file}  ({DEMO_NAMESPACE}/default-editor)",
            f"    export KF_PIPELINES_SA_TOKEN_PATH={token_file}",
            f"    rotate: POST {sb.url}/_sandbox/tokens {{\"action\": \"rotate\", \"path\": \"{token_file.name}\"}}",
        ]
    lines.append("Press Ctrl+C to stop.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    options = front_options(args)
    from .server import Sandbox

    sb = Sandbox(mode=args.mode, db=args.db, host=args.host, port=args.port,
                 pipeline_store=args.pipeline_store, **options)
    if args.seed and not sb.store.counts()["pipelines"]:
        sb.controls.seed("", args.seed, prefix="shared")
        if sb.multi_user:
            sb.controls.seed(DEMO_NAMESPACE, args.seed, versions=2, prefix="demo")
    if args.latency:
        sb.controls.latency(args.latency)
    try:
        sb.start()
    except RuntimeError as err:
        print(f"jupyter-kfp-sandbox: {err}: {err.__cause__}", file=sys.stderr)
        return 1
    token_file = None
    if args.mode == "in-cluster":
        token_file = sb.controls.tokens.write_token(sb.state_dir / "token", DEMO_NAMESPACE)
    print(describe(sb, token_file), flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sb.close()  # its state folder, token file included, goes with it
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
