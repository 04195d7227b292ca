# The demo's pictures (experiments/demo.sh): timeline.png and ontime.png in `out`.
# Called with -e "out='...'; slowdown='K'; trace='name xS'; deadlines='t m l'".
# Inputs: out/<level>/edgent.csv (t_s, true_kbps, estimate_kbps, exit, offloaded, total_ms,
# deadline_met, cut, detector_kbps) per deadline level, and out/ontime.csv (strategy, tight,
# middle, loose, and the 95 % half-widths of the three).
set datafile separator ","
levels = "tight middle loose"

# Timeline: the link, then Edgent's requests at each deadline.
set terminal pngcairo size 1400,1300 font ",11" noenhanced
set output out."/timeline.png"
set multiplot layout 4,1 title sprintf("Edgent over time: device %sx slower than the edge, link %s", slowdown, trace)
set grid
set key outside right top
set xlabel "time in the trace (s)"
set logscale y
set format y "%g"
set title "the link: true bandwidth (trace), the device's estimate and the detector's (middle deadline run)"
set ylabel "kbit/s (log)"
plot out."/middle/edgent.csv" using 1:2 with steps lw 2 lc rgb "gray40" title "true (trace)", \
     "" using 1:($3 > 0 ? $3 : NaN) with points pt 7 ps 0.4 lc rgb "blue" title "measured estimate", \
     "" using 1:($9 > 0 ? $9 : NaN) with points pt 6 ps 0.4 lc rgb "orange" title "detector (map state)"
set ylabel "latency (ms, log)"
set cbrange [0.5:5.5]
set cbtics 1
set palette defined (0.5 "#1b9e77", 1.5 "#1b9e77", 1.5 "#d95f02", 2.5 "#d95f02", 2.5 "#7570b3", 3.5 "#7570b3", 3.5 "#e7298a", 4.5 "#e7298a", 4.5 "#222222", 5.5 "#222222")
set cblabel "exit"
do for [i = 1:3] {
  level = word(levels, i)
  d = word(deadlines, i) + 0
  set title sprintf("%s deadline %g ms: Edgent's requests (colour: exit used; circle: on the device, triangle: offloaded)", level, d)
  set arrow 1 from graph 0, first d to graph 1, first d nohead lw 2 lc rgb "red" front
  plot out."/".level."/edgent.csv" using 1:($5 == 0 ? $6 : NaN):4 with points pt 7 ps 0.6 lc palette title "on the device", \
       "" using 1:($5 == 1 ? $6 : NaN):4 with points pt 9 ps 0.8 lc palette title "offloaded", \
       NaN with lines lw 2 lc rgb "red" title "deadline"
  unset arrow 1
}
unset multiplot

# On-time accuracy per strategy and deadline.
set terminal pngcairo size 1200,600 font ",11" noenhanced
set output out."/ontime.png"
unset logscale y
set format y "%g"
set title sprintf("On-time accuracy (correct and within the deadline) per strategy, with 95%% confidence intervals;\ndevice %sx slower, link %s", slowdown, trace)
set ylabel "on-time accuracy (%)"
set xlabel "strategy"
set yrange [0:100]
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set key outside right top
set xtics nomirror
unset grid
set grid ytics
plot out."/ontime.csv" using ($2 * 100):($5 * 100):xtic(1) title sprintf("tight (%s ms)", word(deadlines, 1)), \
     "" using ($3 * 100):($6 * 100) title sprintf("middle (%s ms)", word(deadlines, 2)), \
     "" using ($4 * 100):($7 * 100) title sprintf("loose (%s ms)", word(deadlines, 3))
