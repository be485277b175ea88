# summary.awk — the markdown table of scripts/bench-gateway.sh: one row per front end, the median
# of its runs for every column, and each front end's throughput against Apache + mod_jk.
# Input: the runs.tsv the script writes (tab-separated, with a header line):
#   round  front_end  label  req_s  p50_ms  p99_ms  front_us  tomcat_us  errors  others_pct  requests
# A second table keeps only the quiet runs, those where the rest of the machine took at most
# QUIET percent (default 5) of its CPU: on a shared machine they show the front ends undisturbed.
# Portable awk (Debian's mawk has no asort).

BEGIN { FS = "\t"; if (QUIET == "") QUIET = 5 }
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
	fe = $col["front_end"]
	if (!(fe in label)) { order[++n] = fe; label[fe] = $col["label"] }
	add(fe)
	if ($col["others_pct"] + 0 <= QUIET) add("quiet:" fe)
	errors[fe] += $col["errors"]
}

# add records the current line as one more run of key (a front end, or "quiet:" and a front end).
function add(key,    k) {
	k = ++runs[key]
	v[key, "req_s", k] = $col["req_s"]
	v[key, "p50_ms", k] = $col["p50_ms"]
	v[key, "p99_ms", k] = $col["p99_ms"]
	v[key, "front_us", k] = $col["front_us"]
	v[key, "tomcat_us", k] = $col["tomcat_us"]
	v[key, "total_us", k] = ($col["front_us"] == "-" ? 0 : $col["front_us"]) + $col["tomcat_us"]
	v[key, "others_pct", k] = $col["others_pct"]
}

# median of the runs of front end fe for one column; "-" when the column does not apply.
function median(fe, name,    i, j, m, t, a) {
	m = runs[fe]
	if (v[fe, name, 1] == "-") return "-"
	for (i = 1; i <= m; i++) a[i] = v[fe, name, i] + 0
	for (i = 2; i <= m; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
		a[j + 1] = t
	}
	return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}

function fmt(x, digits) { return (x == "-") ? "–" : sprintf("%." digits "f", x) }

END {
	for (i = 1; i <= n; i++) {
		fe = order[i]
		rps[fe] = median(fe, "req_s"); p99[fe] = median(fe, "p99_ms")
	}
	print "| front end | runs | req/s | p50 ms | p99 ms | front end CPU µs/req | Tomcat CPU µs/req | total CPU µs/req | req/s ÷ mod_jk | failed requests | others' CPU % |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= n; i++) {
		fe = order[i]
		ratio = ("mod_jk" in rps && rps["mod_jk"] > 0) ? sprintf("%.2f", rps[fe] / rps["mod_jk"]) : "–"
		printf "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %d | %s |\n", label[fe], runs[fe],
			fmt(rps[fe], 0), fmt(median(fe, "p50_ms"), 2), fmt(p99[fe], 2),
			fmt(median(fe, "front_us"), 0), fmt(median(fe, "tomcat_us"), 0), fmt(median(fe, "total_us"), 0),
			ratio, errors[fe], fmt(median(fe, "others_pct"), 0)
	}
	if (("roll" in rps) && ("mod_jk" in rps) && rps["mod_jk"] > 0) {
		print ""
		printf "roll ÷ mod_jk: throughput %.2f× (goal ≥ 2×), p99 %.2f ms vs %.2f ms (goal: lower)", \
			rps["roll"] / rps["mod_jk"], p99["roll"], p99["mod_jk"]
		if ("tomcat" in rps && rps["tomcat"] > 0) printf "; roll reaches %.0f%% of direct Tomcat's req/s", 100 * rps["roll"] / rps["tomcat"]
		print "."
	}
	quiet_table()
}

# quiet_table prints the medians of the quiet runs, when every front end has some.
function quiet_table(    i, fe, q, ratio) {
	for (i = 1; i <= n; i++) if (runs["quiet:" order[i]] == 0) {
		print ""
		printf "Not every front end had a run with others' CPU ≤ %d%%: no quiet-runs table.\n", QUIET
		return
	}
	print ""
	printf "Only the runs where others' CPU was ≤ %d%%:\n\n", QUIET
	print "| front end | quiet runs | req/s | p50 ms | p99 ms | front end CPU µs/req | Tomcat CPU µs/req | total CPU µs/req | req/s ÷ mod_jk |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= n; i++) {
		fe = order[i]; q = "quiet:" fe
		ratio = sprintf("%.2f", median(q, "req_s") / median("quiet:mod_jk", "req_s"))
		printf "| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", label[fe], runs[q],
			fmt(median(q, "req_s"), 0), fmt(median(q, "p50_ms"), 2), fmt(median(q, "p99_ms"), 2),
			fmt(median(q, "front_us"), 0), fmt(median(q, "tomcat_us"), 0), fmt(median(q, "total_us"), 0), ratio
	}
}
