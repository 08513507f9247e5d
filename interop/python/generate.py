"""Generate the Python stubs for protos/task_manager.proto into a folder.

    /usr/bin/python3 interop/python/generate.py /tmp/taskmanager-stubs

writes task_manager_pb2.py (the messages) and task_manager_pb2_grpc.py (the
TaskManagerStub client) there. Put that folder on PYTHONPATH to run client.py.
The stubs are generated, never committed: the .proto file stays the single
source of truth, exactly as for the TypeScript side.

It runs Debian's protoc with Debian's gRPC plugin (packages protobuf-compiler
and protobuf-compiler-grpc). Debian's `python3 -m grpc_tools.protoc` is not
used on purpose: it bundles protoc 3.5, which rejects proto3 `optional`.
"""

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = REPO_ROOT / "protos"
PROTO_FILE = PROTO_DIR / "task_manager.proto"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", help="folder to write the stubs into (created if missing)")
    parser.add_argument("--protoc", default=shutil.which("protoc"), help="protoc to run (default: the one on PATH)")
    parser.add_argument(
        "--plugin",
        default=shutil.which("grpc_python_plugin"),
        help="gRPC Python plugin (default: grpc_python_plugin on PATH)",
    )
    args = parser.parse_args()

    if not args.protoc:
        return fail("protoc not found: install it (Debian/Ubuntu: apt-get install protobuf-compiler)")
    if not args.plugin:
        return fail("grpc_python_plugin not found: install it (Debian/Ubuntu: apt-get install protobuf-compiler-grpc)")

    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [
        args.protoc,
        f"--proto_path={PROTO_DIR}",
        f"--python_out={out_dir}",
        # protoc finds a plugin for --NAME_out by running protoc-gen-NAME, so the
        # two names must match: --grpc_python_out goes with protoc-gen-grpc_python.
        f"--grpc_python_out={out_dir}",
        f"--plugin=protoc-gen-grpc_python={args.plugin}",
        str(PROTO_FILE),
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True)
    except OSError as error:  # not found, not executable
        return fail(f"cannot run {args.protoc}: {error.strerror}")
    if result.returncode != 0:
        return fail(f"protoc failed (exit {result.returncode}):\n{result.stderr.strip()}")
    print(f"generated task_manager_pb2.py and task_manager_pb2_grpc.py in {out_dir}")
    return 0


def fail(message: str) -> int:
    print(f"generate.py: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
