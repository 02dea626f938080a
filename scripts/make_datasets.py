"""Regenerate mle_tutorial/datasets/*.csv (byte-identical) from statsmodels' public-domain copies
and the NIST StRD Thurber data below. Run from the repository root: python scripts/make_datasets.py
"""

import re
from pathlib import Path

import numpy as np
import statsmodels.api as sm

OUT = Path(__file__).resolve().parents[1] / "mle_tutorial" / "datasets"


def fmt(x: float) -> str:
    return np.format_float_positional(float(x), unique=True, trim="-")


def write(name, cols):
    names = list(cols)
    arrs = [np.asarray(cols[c], dtype=np.float64) for c in names]
    n = len(arrs[0])
    lines = [",".join(names)]
    for i in range(n):
        lines.append(",".join(fmt(a[i]) for a in arrs))
    (OUT / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="ascii", newline="\n")
    back = np.loadtxt(OUT / f"{name}.csv", delimiter=",", skiprows=1, ndmin=2)
    assert back.shape == (n, len(names)), back.shape
    for j, a in enumerate(arrs):
        assert np.array_equal(back[:, j], a), (name, names[j])
    print(name, back.shape)


for name in ["longley", "stackloss", "anes96", "strikes"]:
    d = getattr(sm.datasets, name).load_pandas().data
    write(name, {c: d[c].to_numpy(np.float64) for c in d.columns})

d = sm.datasets.randhie.load_pandas().data
assert len(d) == 20190
idx = np.sort(np.random.RandomState(1974).choice(20190, size=2000, replace=False))
write("randhie", {c: d[c].to_numpy(np.float64)[idx] for c in d.columns})

# NIST StRD Thurber, transcribed from two independent public copies of Thurber.dat
copy_a = """80.574E0      -3.067E0
84.248E0      -2.981E0
87.264E0      -2.921E0
87.195E0      -2.912E0
89.076E0      -2.840E0
89.608E0      -2.797E0
89.868E0      -2.702E0
90.101E0      -2.699E0
92.405E0      -2.633E0
95.854E0      -2.481E0
100.696E0      -2.363E0
101.060E0      -2.322E0
401.672E0      -1.501E0
390.724E0      -1.460E0
567.534E0      -1.274E0
635.316E0      -1.212E0
733.054E0      -1.100E0
759.087E0      -1.046E0
894.206E0      -0.915E0
990.785E0      -0.714E0
1090.109E0      -0.566E0
1080.914E0      -0.545E0
1122.643E0      -0.400E0
1178.351E0      -0.309E0
1260.531E0      -0.109E0
1273.514E0      -0.103E0
1288.339E0       0.010E0
1327.543E0       0.119E0
1353.863E0       0.377E0
1414.509E0       0.790E0
1425.208E0       0.963E0
1421.384E0       1.006E0
1442.962E0       1.115E0
1464.350E0       1.572E0
1468.705E0       1.841E0
1447.894E0       2.047E0
1457.628E0       2.200E0"""
copy_b = """xy = [80.574E0      -3.067E0
      84.248E0      -2.981E0
      87.264E0      -2.921E0
      87.195E0      -2.912E0
      89.076E0      -2.840E0
      89.608E0      -2.797E0
      89.868E0      -2.702E0
      90.101E0      -2.699E0
      92.405E0      -2.633E0
      95.854E0      -2.481E0
     100.696E0      -2.363E0
     101.060E0      -2.322E0
     401.672E0      -1.501E0
     390.724E0      -1.460E0
     567.534E0      -1.274E0
     635.316E0      -1.212E0
     733.054E0      -1.100E0
     759.087E0      -1.046E0
     894.206E0      -0.915E0
     990.785E0      -0.714E0
    1090.109E0      -0.566E0
    1080.914E0      -0.545E0
    1122.643E0      -0.400E0
    1178.351E0      -0.309E0
    1260.531E0      -0.109E0
    1273.514E0      -0.103E0
    1288.339E0       0.010E0
    1327.543E0       0.119E0
    1353.863E0       0.377E0
    1414.509E0       0.790E0
    1425.208E0       0.963E0
    1421.384E0       1.006E0
    1442.962E0       1.115E0
    1464.350E0       1.572E0
    1468.705E0       1.841E0
    1447.894E0       2.047E0
    1457.628E0       2.200E0];"""
num = re.compile(r"-?\d+\.\d+E0")
a = num.findall(copy_a)
b = num.findall(copy_b)
assert a == b and len(a) == 74
vals = np.array([float(t) for t in a]).reshape(37, 2)
write("thurber", {"y": vals[:, 0], "x": vals[:, 1]})

# Freireich et al. (1963) 6-MP vs placebo remission times (weeks), as analysed by Gehan (1965), transcribed
# from two independent copies that agree value for value (the test below asserts it):
# copy A: R package MASS 7.3-58.2, data frame `gehan` ("pair time cens treat"; source Cox & Oakes 1984, p. 7),
# copy B: R package KMsurv 0.1-5, data frame `drug6mp` ("pair remstat t1 t2 relapse"; source Klein &
# Moeschberger 1997, section 1.2; t1 = placebo, always a relapse; t2, relapse = 6-MP).
gehan_a = """1 1 1 control;1 10 1 6-MP;2 22 1 control;2 7 1 6-MP;3 3 1 control;3 32 0 6-MP;4 12 1 control;
4 23 1 6-MP;5 8 1 control;5 22 1 6-MP;6 17 1 control;6 6 1 6-MP;7 2 1 control;7 16 1 6-MP;8 11 1 control;
8 34 0 6-MP;9 8 1 control;9 32 0 6-MP;10 12 1 control;10 25 0 6-MP;11 2 1 control;11 11 0 6-MP;
12 5 1 control;12 20 0 6-MP;13 4 1 control;13 19 0 6-MP;14 15 1 control;14 6 1 6-MP;15 8 1 control;
15 17 0 6-MP;16 23 1 control;16 35 0 6-MP;17 5 1 control;17 6 1 6-MP;18 11 1 control;18 13 1 6-MP;
19 4 1 control;19 9 0 6-MP;20 1 1 control;20 6 0 6-MP;21 8 1 control;21 10 0 6-MP"""
gehan_b = """1 1 1 10 1;2 2 22 7 1;3 2 3 32 0;4 2 12 23 1;5 2 8 22 1;6 1 17 6 1;7 2 2 16 1;8 2 11 34 0;
9 2 8 32 0;10 2 12 25 0;11 2 2 11 0;12 1 5 20 0;13 2 4 19 0;14 2 15 6 1;15 2 8 17 0;16 1 23 35 0;17 1 5 6 1;
18 2 11 13 1;19 2 4 9 0;20 2 1 6 0;21 2 8 10 0"""
rows_a = [r.split() for r in gehan_a.replace("\n", "").split(";")]
rows_b = [r.split() for r in gehan_b.replace("\n", "").split(";")]
assert len(rows_a) == 42 and len(rows_b) == 21
from_b = []
for pair, _remstat, t1, t2, relapse in rows_b:
    from_b += [[pair, t1, "1", "control"], [pair, t2, relapse, "6-MP"]]
assert from_b == rows_a
write(
    "gehan",
    {
        "time": [float(r[1]) for r in rows_a],
        "event": [float(r[2]) for r in rows_a],
        "group": [1.0 if r[3] == "6-MP" else 0.0 for r in rows_a],
        "pair": [float(r[0]) for r in rows_a],
    },
)
