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

# Grunfeld (1950) investment data: 11 U.S. firms, each observed every year 1935-1954 (a repeated-measures
# panel, the random-effects chapters' example); the firm's name becomes its number in statsmodels' order
# (1 = General Motors ... 11 = American Steel, as listed in the README), the rest as statsmodels has it.
d = sm.datasets.grunfeld.load_pandas().data
firms = list(dict.fromkeys(d["firm"]))
assert len(d) == 220 and len(firms) == 11
write(
    "grunfeld",
    {
        "invest": d["invest"].to_numpy(np.float64),
        "value": d["value"].to_numpy(np.float64),
        "capital": d["capital"].to_numpy(np.float64),
        "firm": np.array([firms.index(f) + 1 for f in d["firm"]], dtype=np.float64),
        "year": d["year"].to_numpy(np.float64),
    },
)

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

# Veterans Administration lung cancer trial (Prentice 1973; Kalbfleisch & Prentice 1980, Appendix I),
# transcribed from two copies that agree value for value (the test below asserts it):
# copy A: R package survival 3.5-3, data frame `veteran` ("trt celltype time status karno diagtime age prior",
# celltype as its level number 1 = squamous, 2 = smallcell, 3 = adeno, 4 = large),
# copy B: R package MASS 7.3-58.2, data frame `VA` ("stime status treat age Karn diag.time cell prior").
veteran_a = """
1 1 72 1 60 7 69 0;1 1 411 1 70 5 64 10;1 1 228 1 60 3 38 0;1 1 126 1 60 9 63 10;1 1 118 1 70 11 65 10;
1 1 10 1 20 5 49 0;1 1 82 1 40 10 69 10;1 1 110 1 80 29 68 0;1 1 314 1 50 18 43 0;1 1 100 0 70 6 70 0;
1 1 42 1 60 4 81 0;1 1 8 1 40 58 63 10;1 1 144 1 30 4 63 0;1 1 25 0 80 9 52 10;1 1 11 1 70 11 48 10;
1 2 30 1 60 3 61 0;1 2 384 1 60 9 42 0;1 2 4 1 40 2 35 0;1 2 54 1 80 4 63 10;1 2 13 1 60 4 56 0;
1 2 123 0 40 3 55 0;1 2 97 0 60 5 67 0;1 2 153 1 60 14 63 10;1 2 59 1 30 2 65 0;1 2 117 1 80 3 46 0;
1 2 16 1 30 4 53 10;1 2 151 1 50 12 69 0;1 2 22 1 60 4 68 0;1 2 56 1 80 12 43 10;1 2 21 1 40 2 55 10;
1 2 18 1 20 15 42 0;1 2 139 1 80 2 64 0;1 2 20 1 30 5 65 0;1 2 31 1 75 3 65 0;1 2 52 1 70 2 55 0;
1 2 287 1 60 25 66 10;1 2 18 1 30 4 60 0;1 2 51 1 60 1 67 0;1 2 122 1 80 28 53 0;1 2 27 1 60 8 62 0;
1 2 54 1 70 1 67 0;1 2 7 1 50 7 72 0;1 2 63 1 50 11 48 0;1 2 392 1 40 4 68 0;1 2 10 1 40 23 67 10;
1 3 8 1 20 19 61 10;1 3 92 1 70 10 60 0;1 3 35 1 40 6 62 0;1 3 117 1 80 2 38 0;1 3 132 1 80 5 50 0;
1 3 12 1 50 4 63 10;1 3 162 1 80 5 64 0;1 3 3 1 30 3 43 0;1 3 95 1 80 4 34 0;1 4 177 1 50 16 66 10;
1 4 162 1 80 5 62 0;1 4 216 1 50 15 52 0;1 4 553 1 70 2 47 0;1 4 278 1 60 12 63 0;1 4 12 1 40 12 68 10;
1 4 260 1 80 5 45 0;1 4 200 1 80 12 41 10;1 4 156 1 70 2 66 0;1 4 182 0 90 2 62 0;1 4 143 1 90 8 60 0;
1 4 105 1 80 11 66 0;1 4 103 1 80 5 38 0;1 4 250 1 70 8 53 10;1 4 100 1 60 13 37 10;
2 1 999 1 90 12 54 10;2 1 112 1 80 6 60 0;2 1 87 0 80 3 48 0;2 1 231 0 50 8 52 10;2 1 242 1 50 1 70 0;
2 1 991 1 70 7 50 10;2 1 111 1 70 3 62 0;2 1 1 1 20 21 65 10;2 1 587 1 60 3 58 0;2 1 389 1 90 2 62 0;
2 1 33 1 30 6 64 0;2 1 25 1 20 36 63 0;2 1 357 1 70 13 58 0;2 1 467 1 90 2 64 0;2 1 201 1 80 28 52 10;
2 1 1 1 50 7 35 0;2 1 30 1 70 11 63 0;2 1 44 1 60 13 70 10;2 1 283 1 90 2 51 0;2 1 15 1 50 13 40 10;
2 2 25 1 30 2 69 0;2 2 103 0 70 22 36 10;2 2 21 1 20 4 71 0;2 2 13 1 30 2 62 0;2 2 87 1 60 2 60 0;
2 2 2 1 40 36 44 10;2 2 20 1 30 9 54 10;2 2 7 1 20 11 66 0;2 2 24 1 60 8 49 0;2 2 99 1 70 3 72 0;
2 2 8 1 80 2 68 0;2 2 99 1 85 4 62 0;2 2 61 1 70 2 71 0;2 2 25 1 70 2 70 0;2 2 95 1 70 1 61 0;
2 2 80 1 50 17 71 0;2 2 51 1 30 87 59 10;2 2 29 1 40 8 67 0;2 3 24 1 40 2 60 0;2 3 18 1 40 5 69 10;
2 3 83 0 99 3 57 0;2 3 31 1 80 3 39 0;2 3 51 1 60 5 62 0;2 3 90 1 60 22 50 10;2 3 52 1 60 3 43 0;
2 3 73 1 60 3 70 0;2 3 8 1 50 5 66 0;2 3 36 1 70 8 61 0;2 3 48 1 10 4 81 0;2 3 7 1 40 4 58 0;
2 3 140 1 70 3 63 0;2 3 186 1 90 3 60 0;2 3 84 1 80 4 62 10;2 3 19 1 50 10 42 0;2 3 45 1 40 3 69 0;
2 3 80 1 40 4 63 0;2 4 52 1 60 4 45 0;2 4 164 1 70 15 68 10;2 4 19 1 30 4 39 10;2 4 53 1 60 12 66 0;
2 4 15 1 30 5 63 0;2 4 43 1 60 11 49 10;2 4 340 1 80 10 64 10;2 4 133 1 75 1 65 0;2 4 111 1 60 5 64 0;
2 4 231 1 70 18 67 10;2 4 378 1 80 4 65 0;2 4 49 1 30 3 37 0"""
veteran_b = """
72 1 1 69 60 7 1 0;411 1 1 64 70 5 1 10;228 1 1 38 60 3 1 0;126 1 1 63 60 9 1 10;118 1 1 65 70 11 1 10;
10 1 1 49 20 5 1 0;82 1 1 69 40 10 1 10;110 1 1 68 80 29 1 0;314 1 1 43 50 18 1 0;100 0 1 70 70 6 1 0;
42 1 1 81 60 4 1 0;8 1 1 63 40 58 1 10;144 1 1 63 30 4 1 0;25 0 1 52 80 9 1 10;11 1 1 48 70 11 1 10;
30 1 1 61 60 3 2 0;384 1 1 42 60 9 2 0;4 1 1 35 40 2 2 0;54 1 1 63 80 4 2 10;13 1 1 56 60 4 2 0;
123 0 1 55 40 3 2 0;97 0 1 67 60 5 2 0;153 1 1 63 60 14 2 10;59 1 1 65 30 2 2 0;117 1 1 46 80 3 2 0;
16 1 1 53 30 4 2 10;151 1 1 69 50 12 2 0;22 1 1 68 60 4 2 0;56 1 1 43 80 12 2 10;21 1 1 55 40 2 2 10;
18 1 1 42 20 15 2 0;139 1 1 64 80 2 2 0;20 1 1 65 30 5 2 0;31 1 1 65 75 3 2 0;52 1 1 55 70 2 2 0;
287 1 1 66 60 25 2 10;18 1 1 60 30 4 2 0;51 1 1 67 60 1 2 0;122 1 1 53 80 28 2 0;27 1 1 62 60 8 2 0;
54 1 1 67 70 1 2 0;7 1 1 72 50 7 2 0;63 1 1 48 50 11 2 0;392 1 1 68 40 4 2 0;10 1 1 67 40 23 2 10;
8 1 1 61 20 19 3 10;92 1 1 60 70 10 3 0;35 1 1 62 40 6 3 0;117 1 1 38 80 2 3 0;132 1 1 50 80 5 3 0;
12 1 1 63 50 4 3 10;162 1 1 64 80 5 3 0;3 1 1 43 30 3 3 0;95 1 1 34 80 4 3 0;177 1 1 66 50 16 4 10;
162 1 1 62 80 5 4 0;216 1 1 52 50 15 4 0;553 1 1 47 70 2 4 0;278 1 1 63 60 12 4 0;12 1 1 68 40 12 4 10;
260 1 1 45 80 5 4 0;200 1 1 41 80 12 4 10;156 1 1 66 70 2 4 0;182 0 1 62 90 2 4 0;143 1 1 60 90 8 4 0;
105 1 1 66 80 11 4 0;103 1 1 38 80 5 4 0;250 1 1 53 70 8 4 10;100 1 1 37 60 13 4 10;
999 1 2 54 90 12 1 10;112 1 2 60 80 6 1 0;87 0 2 48 80 3 1 0;231 0 2 52 50 8 1 10;242 1 2 70 50 1 1 0;
991 1 2 50 70 7 1 10;111 1 2 62 70 3 1 0;1 1 2 65 20 21 1 10;587 1 2 58 60 3 1 0;389 1 2 62 90 2 1 0;
33 1 2 64 30 6 1 0;25 1 2 63 20 36 1 0;357 1 2 58 70 13 1 0;467 1 2 64 90 2 1 0;201 1 2 52 80 28 1 10;
1 1 2 35 50 7 1 0;30 1 2 63 70 11 1 0;44 1 2 70 60 13 1 10;283 1 2 51 90 2 1 0;15 1 2 40 50 13 1 10;
25 1 2 69 30 2 2 0;103 0 2 36 70 22 2 10;21 1 2 71 20 4 2 0;13 1 2 62 30 2 2 0;87 1 2 60 60 2 2 0;
2 1 2 44 40 36 2 10;20 1 2 54 30 9 2 10;7 1 2 66 20 11 2 0;24 1 2 49 60 8 2 0;99 1 2 72 70 3 2 0;
8 1 2 68 80 2 2 0;99 1 2 62 85 4 2 0;61 1 2 71 70 2 2 0;25 1 2 70 70 2 2 0;95 1 2 61 70 1 2 0;
80 1 2 71 50 17 2 0;51 1 2 59 30 87 2 10;29 1 2 67 40 8 2 0;24 1 2 60 40 2 3 0;18 1 2 69 40 5 3 10;
83 0 2 57 99 3 3 0;31 1 2 39 80 3 3 0;51 1 2 62 60 5 3 0;90 1 2 50 60 22 3 10;52 1 2 43 60 3 3 0;
73 1 2 70 60 3 3 0;8 1 2 66 50 5 3 0;36 1 2 61 70 8 3 0;48 1 2 81 10 4 3 0;7 1 2 58 40 4 3 0;
140 1 2 63 70 3 3 0;186 1 2 60 90 3 3 0;84 1 2 62 80 4 3 10;19 1 2 42 50 10 3 0;45 1 2 69 40 3 3 0;
80 1 2 63 40 4 3 0;52 1 2 45 60 4 4 0;164 1 2 68 70 15 4 10;19 1 2 39 30 4 4 10;53 1 2 66 60 12 4 0;
15 1 2 63 30 5 4 0;43 1 2 49 60 11 4 10;340 1 2 64 80 10 4 10;133 1 2 65 75 1 4 0;111 1 2 64 60 5 4 0;
231 1 2 67 70 18 4 10;378 1 2 65 80 4 4 0;49 1 2 37 30 3 4 0"""
va = [[float(v) for v in r.split()] for r in veteran_a.replace("\n", "").split(";")]
vb = [[float(v) for v in r.split()] for r in veteran_b.replace("\n", "").split(";")]
assert len(va) == len(vb) == 137
assert [[r[2], r[3], r[0], r[1], r[4], r[5], r[6], r[7]] for r in va] == [
    [r[0], r[1], r[2], r[6], r[4], r[5], r[3], r[7]] for r in vb
]
names = ["trt", "celltype", "time", "event", "karno", "diagtime", "age", "prior"]
cols = {name: [r[j] for r in va] for j, name in enumerate(names)}
write(
    "veteran",
    {name: cols[name] for name in ["time", "event", "trt", "celltype", "karno", "diagtime", "age", "prior"]},
)
