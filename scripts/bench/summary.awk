# summary.awk — the markdown tables of scripts/bench-gateway.sh: per page, one row per front end,
# the median of its runs for every column, and its throughput against Apache + mod_jk (both
# ping modes) and nginx; then the lines that set roll against issue 8's goals.
# Input: the runs.tsv the script writes (tab-separated, with a header line):
#   round  page  front_end  label  req_s  p50_ms  p99_ms  front_us  tomcat_us  errors  others_pct  requests
# A second table per page keeps only the quiet runs, those where the rest of the machine took at
# most QUIET percent (default 5) of its CPU: on a shared machine they show the front ends undisturbed.
# With -v RATED=1 the input is rates.tsv (the same columns, then rate, p90_ms and max_ms: runs at one
# constant rate for every front end) and the tables compare latency and CPU at equal work, one per
# page and rate. With -v LOWEST=1 it prints only, per page, "page<TAB>lowest median req/s of any
# front end" (what the equal-rate part's automatic rate is taken from).
# Portable awk (Debian's mawk has no asort).

BEGIN { FS = "\t"; if (QUIET == "") QUIET = 5 }
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
	pg = $col["page"]; fe = $col["front_end"]
	if (RATED) pg = pg " at " $col["rate"] " req/s"
	if (!(pg in seen)) { seen[pg] = 1; pages[++np] = pg }
	if (!(fe in label)) { order[++n] = fe; label[fe] = $col["label"] }
	add(pg SUBSEP fe)
	if ($col["others_pct"] + 0 <= QUIET) add("quiet" SUBSEP pg SUBSEP fe)
	errors[pg, fe] += $col["errors"]
}

# add records the current line as one more run of key (page and front end, quiet or not).
function add(key,    k) {
	k = ++runs[key]
	v[key, "req_s", k] = $col["req_s"]
	v[key, "p50_ms", k] = $col["p50_ms"]
	v[key, "p99_ms", k] = $col["p99_ms"]
	v[key, "front_us", k] = $col["front_us"]
	v[key, "tomcat_us", k] = $col["tomcat_us"]
	v[key, "total_us", k] = ($col["front_us"] == "-" ? 0 : $col["front_us"]) + $col["tomcat_us"]
	v[key, "others_pct", k] = $col["others_pct"]
	if (RATED) { v[key, "p90_ms", k] = $col["p90_ms"]; v[key, "max_ms", k] = $col["max_ms"] }
}

# median of the runs of key for one column; "-" when the column does not apply or key has no runs.
function median(key, name,    i, j, m, t, a) {
	m = runs[key]
	if (m == 0 || v[key, name, 1] == "-") return "-"
	for (i = 1; i <= m; i++) a[i] = v[key, name, i] + 0
	for (i = 2; i <= m; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
		a[j + 1] = t
	}
	return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}

function fmt(x, digits) { return (x == "-") ? "–" : sprintf("%." digits "f", x) }

# ratio of the median req/s of front end a to b's on one page (prefix: "" or "quiet" SUBSEP).
function ratio(prefix, pg, a, b,    x, y) {
	x = median(prefix pg SUBSEP a, "req_s"); y = median(prefix pg SUBSEP b, "req_s")
	return (x == "-" || y == "-" || y == 0) ? "–" : sprintf("%.2f", x / y)
}

# table prints one page's rows, of every run (prefix "") or of the quiet runs only.
function table(prefix, pg,    i, fe, k) {
	print "| front end | runs | req/s | p50 ms | p99 ms | front end CPU µs/req | Tomcat CPU µs/req | total CPU µs/req | ÷ mod_jk CI | ÷ mod_jk A | ÷ nginx | failed requests | others' CPU % |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= n; i++) {
		fe = order[i]; k = prefix pg SUBSEP fe
		if (runs[k] == 0) continue
		printf "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", label[fe], runs[k],
			fmt(median(k, "req_s"), 0), fmt(median(k, "p50_ms"), 2), fmt(median(k, "p99_ms"), 2),
			fmt(median(k, "front_us"), 0), fmt(median(k, "tomcat_us"), 0), fmt(median(k, "total_us"), 0),
			ratio(prefix, pg, fe, "mod_jk"), ratio(prefix, pg, fe, "mod_jk-a"), ratio(prefix, pg, fe, "nginx"),
			(prefix == "") ? errors[pg, fe] + 0 : "–", fmt(median(k, "others_pct"), 0)
	}
}

# goals prints roll against issue 8's goals on one page.
function goals(pg,    r, m) {
	r = pg SUBSEP "roll"; m = pg SUBSEP "mod_jk"
	if (runs[r] == 0 || runs[m] == 0) return
	print ""
	printf "Goals on %s: roll → AJP %s× mod_jk CI (≥ 1.2), %s× mod_jk A (≥ 1.5); ", pg,
		ratio("", pg, "roll", "mod_jk"), ratio("", pg, "roll", "mod_jk-a")
	printf "roll CPU %s µs/req (≤ 45); Tomcat behind roll %s µs/req vs %s behind mod_jk CI; ",
		fmt(median(r, "front_us"), 0), fmt(median(r, "tomcat_us"), 0), fmt(median(m, "tomcat_us"), 0)
	printf "p99 %s ms vs mod_jk CI %s ms", fmt(median(r, "p99_ms"), 2), fmt(median(m, "p99_ms"), 2)
	if (runs[pg SUBSEP "roll-http"] > 0 && runs[pg SUBSEP "nginx"] > 0)
		printf "; roll → HTTP %s× nginx (≥ 0.8)", ratio("", pg, "roll-http", "nginx")
	print "."
}

END {
	if (LOWEST) { lowest(); exit }
	for (p = 1; p <= np; p++) {
		pg = pages[p]
		print "#### " pg
		print ""
		if (RATED) { rated_table(pg); rated_goals(pg) } else { table("", pg); goals(pg) }
		if (!RATED) quiet_table(pg)
		print ""
	}
}

# quiet_table prints the medians of the quiet runs of one page, when every front end has some.
function quiet_table(pg,    i) {
	for (i = 1; i <= n; i++) if (runs["quiet" SUBSEP pg SUBSEP order[i]] == 0) {
		print ""
		printf "Not every front end had a run with others' CPU ≤ %d%% on %s: no quiet-runs table.\n", QUIET, pg
		return
	}
	print ""
	printf "Only the runs where others' CPU was ≤ %d%%:\n\n", QUIET
	table("quiet" SUBSEP, pg)
}

# lowest prints, per page, the lowest median req/s of any front end.
function lowest(    p, i, pg, m, low) {
	for (p = 1; p <= np; p++) {
		pg = pages[p]; low = -1
		for (i = 1; i <= n; i++) {
			m = median(pg SUBSEP order[i], "req_s")
			if (m != "-" && (low < 0 || m < low)) low = m
		}
		printf "%s\t%.0f\n", pg, low
	}
}

# p99_ratio: front end a's median p99 over b's on one page and rate.
function p99_ratio(pg, a, b,    x, y) {
	x = median(pg SUBSEP a, "p99_ms"); y = median(pg SUBSEP b, "p99_ms")
	return (x == "-" || y == "-" || y == 0) ? "–" : sprintf("%.2f", x / y)
}

# rated_table prints one page and rate: latency and CPU per request when every front end serves the same rate.
function rated_table(pg,    i, fe, k) {
	print "| front end | runs | req/s served | p50 ms | p90 ms | p99 ms | max ms | front end CPU µs/req | Tomcat CPU µs/req | total CPU µs/req | p99 ÷ mod_jk CI's | failed requests | others' CPU % |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= n; i++) {
		fe = order[i]; k = pg SUBSEP fe
		if (runs[k] == 0) continue
		printf "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", label[fe], runs[k],
			fmt(median(k, "req_s"), 0), fmt(median(k, "p50_ms"), 2), fmt(median(k, "p90_ms"), 2),
			fmt(median(k, "p99_ms"), 2), fmt(median(k, "max_ms"), 1),
			fmt(median(k, "front_us"), 0), fmt(median(k, "tomcat_us"), 0), fmt(median(k, "total_us"), 0),
			p99_ratio(pg, fe, "mod_jk"), errors[pg, fe] + 0, fmt(median(k, "others_pct"), 0)
	}
}

# rated_goals sets roll's p99 at an equal rate against mod_jk's and nginx's.
function rated_goals(pg,    r, m, a) {
	r = pg SUBSEP "roll"; m = pg SUBSEP "mod_jk"; a = pg SUBSEP "mod_jk-a"
	if (runs[r] == 0 || runs[m] == 0) return
	print ""
	printf "At an equal rate on %s: roll → AJP p99 %s ms vs mod_jk CI %s ms", pg,
		fmt(median(r, "p99_ms"), 2), fmt(median(m, "p99_ms"), 2)
	if (runs[a] > 0) printf " and mod_jk A %s ms", fmt(median(a, "p99_ms"), 2)
	printf " (goal: no worse); roll CPU %s µs/req vs mod_jk CI %s; Tomcat behind roll %s µs/req vs %s behind mod_jk CI",
		fmt(median(r, "front_us"), 0), fmt(median(m, "front_us"), 0), fmt(median(r, "tomcat_us"), 0), fmt(median(m, "tomcat_us"), 0)
	if (runs[pg SUBSEP "roll-http"] > 0 && runs[pg SUBSEP "nginx"] > 0)
		printf "; roll → HTTP p99 %s ms vs nginx %s ms", fmt(median(pg SUBSEP "roll-http", "p99_ms"), 2), fmt(median(pg SUBSEP "nginx", "p99_ms"), 2)
	print "."
}
