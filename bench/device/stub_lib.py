#!/usr/bin/env python3
"""Writes the source of a stub for a shared library (bench/device/bundle.sh
--stub): every function it exports returns 0, every data object is zeroed
memory of the same size, under the same symbol versions. The loader binds
every symbol at start (BIND_NOW), so a program linked against the library
starts with the stub, and what the real library loads in turn stays behind;
the program must not call into it for anything it needs.

    stub_lib.py LIBRARY OUT    # writes OUT.c and, if versioned, OUT.map
"""
import re, subprocess, sys
src, out = sys.argv[1:]
# objdump -T: VALUE FLAGS... SECTION SIZE [VERSION] NAME
syms, versions = [], {}
for line in subprocess.run(["objdump", "-T", src], capture_output=True, text=True,
                           check=True).stdout.splitlines():
    m = re.match(r"^[0-9a-f]+ (.{7}) (\S+)\s+([0-9a-f]+)\s+(?:(\(?[\w.@]+\)?)\s+)?(\S+)$", line)
    if not m or m.group(2) == "*UND*" or m.group(2) == "*ABS*":
        continue
    flags, section, size, ver, name = m.groups()
    kind = "F" if "F" in flags else "O" if "O" in flags else None
    if kind is None:
        continue
    ver = (ver or "Base").strip("()")
    if any(n == name for _, _, n in syms):
        continue  # one definition a name (foo@V1 beside foo@@V2)
    syms.append((kind, int(size, 16), name))
    if ver != "Base":
        versions.setdefault(ver, []).append(name)
with open(out + ".c", "w") as c:
    # Functions return 0 rather than trap: libavcodec's codec table calls
    # some at start (aom_codec_version, vpx_codec_vp9_cx, ...) and copes
    # with a 0; nothing the study decodes or encodes goes through them.
    c.write("/* generated stub: every function returns 0, data is zeroed */\n")
    for i, (kind, size, name) in enumerate(syms):
        if kind == "F":
            c.write(f'long s{i}(void) __asm__("{name}");\nlong s{i}(void) {{ return 0; }}\n')
        else:
            c.write(f'char d{i}[{max(size, 1)}] __asm__("{name}") __attribute__((aligned(64)));\n')
if versions:
    with open(out + ".map", "w") as v:
        for ver, names in versions.items():
            v.write(ver + " {\n  global:\n" + "".join(f"    {n};\n" for n in names) + "};\n")
