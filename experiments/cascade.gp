# Accuracy against mean latency, fixed exits against confidence cascades, at two bandwidths
# (experiments/cascade.sh). Called with -e "out='...'; slowdown='K'; bandwidths='lo hi';
# measure='kbps'". Input: out/frontier.csv (kbps, kind, deadline_ms, feasible, accuracy,
# expected_ms, exits, cut): the plan per deadline; out/{exit5,cascade}.summary.json are plotted
# as measured points when present (via out/measured.csv, written here with jq beforehand).
set datafile separator ","
set terminal pngcairo size 1400,600 font ",11" noenhanced
set output out."/cascade.png"
set multiplot layout 1,words(bandwidths) title sprintf("Accuracy against mean latency, fixed exits vs confidence cascades; device %sx slower than the edge", slowdown)
set grid
set key bottom right
set xlabel "mean latency per request (ms, log): the planner's expected; measured for the points"
set ylabel "accuracy (%)"
set logscale x
set format x "%g"
do for [i = 1:words(bandwidths)] {
  b = word(bandwidths, i) + 0
  set title sprintf("link %g kbit/s", b)
  plot out."/frontier.csv" using ($1 == b && stringcolumn(2) eq "fixed" && stringcolumn(4) eq "true" ? $6 : NaN):($5 * 100) \
         with linespoints pt 7 ps 0.8 lw 2 lc rgb "#d95f02" title "fixed exit (best cut)", \
       "" using ($1 == b && stringcolumn(2) eq "cascade" && stringcolumn(4) eq "true" ? $6 : NaN):($5 * 100) \
         with linespoints pt 5 ps 0.7 lw 2 lc rgb "#1b9e77" title "cascade (exits, tau, cut)", \
       out."/measured.csv" using ($1 == b ? $3 : NaN):($4 * 100) with points pt 3 ps 2.5 lw 2 lc rgb "black" title "measured (edgent-infer)"
}
unset multiplot
