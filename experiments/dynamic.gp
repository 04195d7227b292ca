# Dynamic mode on the testbed over time: the shaped bandwidth and the device's estimate, the
# exit each policy ran, and every request's latency against the deadline.
# Called with -e "dir='...'; trace='...'; scale=S; deadline='D'; seconds=90".
set terminal pngcairo size 1300,1300 font ",11" noenhanced
set output dir."/dynamic.png"
set datafile separator ","
set grid
set key outside right top box
set lmargin 12
set rmargin 34
set xlabel "time in the trace (s, from the start of the replay)"
if (exists("seconds")) { set xrange [0:seconds] }
set multiplot layout 4,1 title sprintf("Config map + detector vs static plan vs oracle: %s replayed through tbf, deadline %s ms", trace, deadline)
set title "bandwidth"
set ylabel "kbit/s (log scale)"
set logscale y
plot dir."/window.csv" using 1:($2 * scale < 10 ? 10 : $2 * scale) every ::1 with steps lw 2 lc rgb "gray50" title "trace x scale", \
     dir."/map.applied.csv" using 1:($2 < 10 ? 10 : $2) every ::1 with points pt 1 lc rgb "black" title "tbf rate set (tc)", \
     dir."/requests.csv" using (strcol(1) eq "map" ? $2 : NaN):($4 > 0 ? $4 : NaN) every ::1 with points pt 7 ps 0.4 lc rgb "#1b9e77" title "map run: device's estimate"
unset logscale y
set title "exit used per request (offloaded: filled; device fallbacks included)"
set ylabel "exit (1-5)"
set yrange [0:6]
plot dir."/requests.csv" using (strcol(1) eq "oracle" ? $2 : NaN):($5 + 0.15) every ::1 with points pt 5 ps 0.4 lc rgb "gray50" title "oracle", \
     dir."/requests.csv" using (strcol(1) eq "map" ? $2 : NaN):5 every ::1 with points pt 7 ps 0.5 lc rgb "#1b9e77" title "map + detector", \
     dir."/requests.csv" using (strcol(1) eq "static" ? $2 : NaN):($5 - 0.15) every ::1 with points pt 7 ps 0.5 lc rgb "#d95f02" title "static plan"
set autoscale y
set logscale y
set ylabel "latency (ms, log scale)"
do for [run in "map static"] {
  set title sprintf("%s: latency per request against the deadline", run)
  set arrow 1 from graph 0, first deadline to graph 1, first deadline nohead lw 2 lc rgb "red" front
  plot dir."/requests.csv" using (strcol(1) eq run && $6 == 1 ? $2 : NaN):7 every ::1 with points pt 9 ps 0.5 lc rgb "#7570b3" title "offloaded", \
       dir."/requests.csv" using (strcol(1) eq run && $6 == 0 ? $2 : NaN):7 every ::1 with points pt 7 ps 0.5 lc rgb "#1b9e77" title "on the device", \
       NaN with lines lw 2 lc rgb "red" title "deadline"
  unset arrow 1
}
unset multiplot
