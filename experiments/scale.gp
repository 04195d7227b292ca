# The scale-out grid (experiments/scale.sh grid): scale.png from grid.csv.
# Called with -e "csv='...'; out='...png'; title='...'".
# grid.csv: devices, edges, requests, req_s, miss_rate, on_time_accuracy, offloaded, fallbacks,
# busy_fallbacks, lost, p95_ms (one row per cell).
set datafile separator ","
set terminal pngcairo size 1400,900 font ",11" noenhanced
set output out
set multiplot layout 2,2 title title."\n(all processes share the same CPUs: see the caveat in the output)"
set grid
set key top left
set logscale x 2
set xlabel "emulated devices"
set xtics (1, 8, 32, 64)
set xrange [0.8:90]
edges(n) = sprintf("%d edge%s", n, n > 1 ? "s" : "")
# The rows of one edge count, in device order.
cells(n) = sprintf("< awk -F, 'NR > 1 && $2 == %d' '%s' | sort -t, -k1,1n", n, csv)
set title "throughput (requests/s answered)"
set ylabel "requests/s"
plot for [n = 1:3] cells(n) using 1:4 with linespoints lw 2 pt 7 title edges(n)
set title "deadline-miss rate"
set ylabel "%"
set yrange [0:*]
plot for [n = 1:3] cells(n) using 1:($5 * 100) with linespoints lw 2 pt 7 title edges(n)
set title "on-time accuracy (correct and within the deadline)"
set yrange [0:100]
plot for [n = 1:3] cells(n) using 1:($6 * 100) with linespoints lw 2 pt 7 title edges(n)
set title "fraction offloaded"
plot for [n = 1:3] cells(n) using 1:($7 * 100) with linespoints lw 2 pt 7 title edges(n)
unset multiplot
