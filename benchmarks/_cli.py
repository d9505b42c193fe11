"""The command line the benchmark scripts share: --quick, --threads N, --only a,b,..."""
import argparse


def parse_args(doc, workloads, no_torch=False):
    """Parsed arguments, with `args.only` as a list of keys of `workloads` (every one by default; an
    unknown one is a usage error); `no_torch` adds --no-torch for a script that can run without PyTorch."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="few repeats (a smoke test; noisier numbers)")
    ap.add_argument("--threads", type=int, default=2, help="threads for both libraries (default 2)")
    ap.add_argument("--only", default=",".join(workloads), help="comma-separated subset of: " + ", ".join(workloads))
    if no_torch:
        ap.add_argument("--no-torch", action="store_true", help="skip PyTorch even when it is installed")
    args = ap.parse_args()
    args.only = args.only.split(",")
    for key in args.only:
        if key not in workloads:
            ap.error(f"unknown workload {key!r}; choose from {', '.join(workloads)}")
    return args
