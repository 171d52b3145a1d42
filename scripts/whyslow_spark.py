#!/usr/bin/env python3
"""whyslow on Apache Spark: the analysis `whyslow analyze` gives, for trace sets beyond one machine.

    scripts/whyslow_spark.py --fast PATH... --slow PATH... [--csv F] [--json F] [--html F]
                             [--master local[*]] [--partitions N] [--whyslow BIN] [options]

Three steps, the first two on the executors:
  1. map: every input file (any format whyslow reads; local paths, or any URI Spark's
     binaryFiles reads: hdfs://, s3a://, ...) goes through `whyslow spans`, which turns it into
     span records, one binary frame per span led by its trace id;
  2. shuffle: the frames are partitioned by (batch, trace id), so each partition holds whole
     traces, and each partition goes through `whyslow partial` (its trace summaries);
  3. merge, on the driver: `whyslow merge` assembles the partials into the analysis and writes
     the table, --csv, --json and --html, as `analyze` does on all the files at once.

The whyslow binary travels to the executors with SparkContext.addFile (so `--whyslow` names
a file on the driver; with spark-submit on a cluster it must run on the executors' machines:
see README, "Beyond one machine"). Options other than the ones below are passed on: feature
options (--key, --keep-operation-names, --endpoint-by, --max-attribute-values, --max-span-keys,
--max-path-depth, --max-name-length) to `partial`, input options (--format, --columns,
--max-input-bytes, --max-spans-per-trace, --max-distinct-values) to `spans`, the rest
(--top, --fdr, --min-effect, --all, --trace-url, --fail-on-suspect) to `merge`.
"""

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SUFFIXES = tuple(s + gz for s in (".json", ".jsonl", ".ndjson", ".csv") for gz in ("", ".gz"))
MAGIC = b"whyslow span records 1\n"
FEATURE_OPTIONS = {"--key": 1, "--keep-operation-names": 0, "--endpoint-by": 1, "--max-attribute-values": 1,
                   "--max-span-keys": 1, "--max-path-depth": 1, "--max-name-length": 1}
INPUT_OPTIONS = {"--format": 1, "--columns": 1, "--max-input-bytes": 1, "--max-spans-per-trace": 1,
                 "--max-distinct-values": 1}
MERGE_OPTIONS = {"--top": 1, "--fdr": 1, "--min-effect": 1, "--all": 0,
                 "--trace-url": 1, "--fail-on-suspect": 0}


def split_options(extra):
    """Sorts pass-through options by the command they belong to; unknown ones are an error."""
    groups = {"partial": [], "spans": [], "merge": []}
    at = 0
    while at < len(extra):
        name = extra[at].split("=", 1)[0]
        for group, known in (("partial", FEATURE_OPTIONS), ("spans", INPUT_OPTIONS), ("merge", MERGE_OPTIONS)):
            if name in known:
                takes = 0 if "=" in extra[at] else known[name]
                groups[group] += extra[at:at + 1 + takes]
                at += 1 + takes
                break
        else:
            sys.exit(f"whyslow_spark.py: unknown option {extra[at]} (see --help)")
    return groups


def input_files(paths):
    """Local files and directories (searched recursively, sorted, whyslow's suffixes) as file
    URIs; URIs with a scheme are passed to Spark as they are."""
    uris = []
    for path in paths:
        if "://" in path:
            uris.append(path)
        elif os.path.isdir(path):
            found = sorted(os.path.join(root, name) for root, _, names in os.walk(path)
                           for name in names if name.lower().endswith(SUFFIXES))
            if not found:
                sys.exit(f"whyslow_spark.py: {path}: no trace files in this directory")
            uris += ["file://" + os.path.abspath(f) for f in found]
        elif os.path.isfile(path):
            uris.append("file://" + os.path.abspath(path))
        else:
            sys.exit(f"whyslow_spark.py: {path}: no such file or directory")
    for uri in uris:
        if "," in uri:  # binaryFiles takes a comma-separated list
            sys.exit(f"whyslow_spark.py: {uri}: a path with a comma cannot be read through Spark; rename it")
    return uris


def refuse_outputs_onto_inputs(outputs, inputs):
    """Never write onto an input, nor inside an input folder (a later run would read it)."""
    local = [os.path.realpath(path) for path in inputs if "://" not in path]
    for output in outputs:
        target = os.path.realpath(output)
        for path in local:
            if target == path or target.startswith(path.rstrip(os.sep) + os.sep):
                sys.exit(f"whyslow_spark.py: {output}: is an input or inside one ({path}); write it elsewhere")


class StepFailed(RuntimeError):
    """A whyslow step failed on an executor; the message is whyslow's own, between MARK
    characters so that the driver can pick it out of Spark's report."""


MARK = "<" + "whyslow-error" + ">"  # built so that no source line Spark's traceback quotes holds it


def run(command, rename=None):
    """Runs a whyslow step; its error message (with the temporary file named as `rename` says)
    becomes the task's error."""
    result = subprocess.run(command, capture_output=True)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()
        for temporary, original in (rename or {}).items():
            message = message.replace(temporary, original)
        raise StepFailed(MARK + f"whyslow {command[1]}: {message}" + MARK)
    return result


def span_frames(binary, batch, options):
    """Task of step 1: one input file's bytes -> ("batch\0trace id", frames) pairs, the frames of
    each trace in the file concatenated (one record per trace, not per span, crosses the shuffle;
    a trace spread over files still meets itself there, by its key)."""
    from pyspark import SparkFiles

    def frames(item):
        uri, content = item
        with tempfile.TemporaryDirectory() as folder:
            name = os.path.join(folder, os.path.basename(uri.rstrip("/")) or "input")
            with open(name, "wb") as file:
                file.write(content)
            records = run([SparkFiles.get(binary), "spans", name] + options, rename={name: uri}).stdout
        if not records.startswith(MAGIC):
            raise RuntimeError(f"whyslow spans wrote no span records for {uri}")
        traces = {}  # trace id -> its frames, in file order
        at, end = len(MAGIC), len(records)
        while at < end:
            (length,) = struct.unpack_from("<I", records, at)
            (id_length,) = struct.unpack_from("<H", records, at + 4)
            traces.setdefault(records[at + 6:at + 6 + id_length], []).append(records[at:at + 4 + length])
            at += 4 + length
        for trace, pieces in traces.items():
            yield batch + "\0" + trace.decode("utf-8", "surrogateescape"), b"".join(pieces)
    return frames


def partials(binary, options):
    """Task of step 2: the frames of whole traces (a trace's may come in several pieces, one per
    file it spread over) -> one partial file's bytes."""
    from pyspark import SparkFiles

    def summarize(pairs):
        with tempfile.TemporaryDirectory() as folder:
            files = {}
            for key, frames in pairs:
                batch = key.split("\0", 1)[0]
                if batch not in files:
                    files[batch] = open(os.path.join(folder, batch + ".spans"), "wb")
                    files[batch].write(MAGIC)
                files[batch].write(frames)
            if not files:
                return
            for file in files.values():
                file.close()
            output = os.path.join(folder, "shard.partial")
            command = [SparkFiles.get(binary), "partial", "--output", output] + options
            for batch in sorted(files):
                command += ["--" + batch, os.path.join(folder, batch + ".spans")]
            run(command)
            with open(output, "rb") as file:
                yield file.read()
    return summarize


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="Other options are passed on; see the module docstring.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", nargs="+", required=True, metavar="PATH", help="baseline traces: files, directories or URIs")
    parser.add_argument("--slow", nargs="+", required=True, metavar="PATH", help="traces of the slow period")
    parser.add_argument("--csv", help="write the ranking as CSV to this file")
    parser.add_argument("--json", help="write the whole analysis as JSON to this file")
    parser.add_argument("--html", help="write the HTML report to this file")
    parser.add_argument("--master", help="Spark master (default: spark-submit's, else local[*])")
    parser.add_argument("--partitions", type=int, default=0, help="shuffle partitions (default: Spark's default parallelism)")
    parser.add_argument("--whyslow", default=shutil.which("whyslow") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release", "whyslow"),
        help="the whyslow binary on the driver (shipped to the executors)")
    parser.add_argument("--keep-partials", metavar="DIR", help="also keep the partial files in this folder")
    parser.add_argument("--driver-memory", default="4g",
                        help="with --master local: the JVM's memory (it holds the input files as it reads them)")
    args, extra = parser.parse_known_args()
    options = split_options(extra)
    refuse_outputs_onto_inputs([path for path in (args.csv, args.json, args.html) if path and path != "-"],
                               args.fast + args.slow)
    binary = os.path.abspath(args.whyslow)
    if not os.access(binary, os.X_OK):
        sys.exit(f"whyslow_spark.py: {binary}: not an executable whyslow (build it: make build)")

    if "PYSPARK_SUBMIT_ARGS" not in os.environ and "PYSPARK_GATEWAY_PORT" not in os.environ:  # not spark-submit
        os.environ["PYSPARK_SUBMIT_ARGS"] = f"--driver-memory {args.driver_memory} pyspark-shell"
    from pyspark import SparkConf
    from pyspark.sql import SparkSession
    conf = SparkConf().setAppName("whyslow")
    if args.master or not conf.contains("spark.master"):  # under spark-submit it is set already
        conf.setMaster(args.master or "local[*]")
    conf.set("spark.ui.showConsoleProgress", "false")
    spark = SparkSession.builder.config(conf=conf).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    context = spark.sparkContext
    context.addFile(binary)
    name = os.path.basename(binary)
    frames = context.union([
        context.binaryFiles(",".join(input_files(paths))).flatMap(span_frames(name, batch, options["spans"]))
        for batch, paths in (("fast", args.fast), ("slow", args.slow))])
    count = args.partitions or context.defaultParallelism
    shuffled = frames.partitionBy(count, lambda key: zlib.crc32(key.encode("utf-8", "surrogateescape")))
    try:
        collected = shuffled.mapPartitions(partials(name, options["partial"])).collect()
    except Exception as error:  # Spark wraps the task's error in its own report
        found = re.search(re.escape(MARK) + "(.*?)" + re.escape(MARK), str(error), re.S)
        spark.stop()
        sys.exit(f"whyslow_spark.py: {found.group(1) if found else error}")
    spark.stop()

    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index, data in enumerate(collected):
            paths.append(os.path.join(folder, f"part-{index:05d}.partial"))
            with open(paths[-1], "wb") as file:
                file.write(data)
        if args.keep_partials:
            os.makedirs(args.keep_partials, exist_ok=True)
            for path in paths:
                shutil.copy(path, args.keep_partials)
        outputs = [item for flag, value in (("--csv", args.csv), ("--json", args.json), ("--html", args.html))
                   if value for item in (flag, value)]
        sys.stderr.write(f"whyslow_spark.py: {len(paths)} partials ({sum(map(len, collected))} bytes) from "
                         f"{count} partitions\n")
        sys.stderr.flush()
        return subprocess.run([binary, "merge"] + paths + outputs + options["merge"]).returncode


if __name__ == "__main__":
    sys.exit(main())
