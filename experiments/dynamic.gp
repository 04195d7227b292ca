# Dynamic mode over time: the replayed bandwidth, the exit each policy runs, the deadline-miss
# rate and the reward (windows). Called with -e "dir='...'; trace='...'; deadline='2'; seconds=90".
set terminal pngcairo size 1300,1300 font ",11" noenhanced
set output dir."/dynamic.png"
set datafile separator ","
set grid
set key outside right top box
set lmargin 12
set rmargin 34
set xlabel "time (s, from the start of the replay)"
if (exists("seconds")) { set xrange [0:seconds] }
set multiplot layout 4,1 title sprintf("Config map + detector vs static plan vs oracle: %s replayed through tbf, deadline %s ms", trace, deadline)
set title "bandwidth"
set ylabel "kbit/s (log scale)"
set logscale y
scale = real(system("echo '".trace."' | sed 's/.* x//'"))
plot dir."/window.csv" using 1:($2 * scale < 10 ? 10 : $2 * scale) every ::1 with steps lw 2 lc rgb "gray50" title "trace x scale", \
     dir."/map.applied.csv" using 1:($2 < 10 ? 10 : $2) every ::1 with points pt 1 lc rgb "black" title "tbf rate set (tc)", \
     dir."/requests.csv" using (strcol(1) eq "map" ? $2 : NaN):(column(10) > 0 ? $10 : NaN) every ::1 with points pt 7 ps 0.4 lc rgb "#1b9e77" title "map run: detector estimate"
unset logscale y
set title "exit used per request (device fallbacks included)"
set ylabel "exit (1-5)"
set yrange [0:6]
plot dir."/oracle.csv" using 1:3 every ::1 with steps lw 2 lc rgb "gray50" title "oracle (best plan per sample)", \
     dir."/requests.csv" using (strcol(1) eq "map" ? $2 : NaN):($3 + 0.1) every ::1 with points pt 7 ps 0.5 lc rgb "#1b9e77" title "map + detector", \
     dir."/requests.csv" using (strcol(1) eq "static" ? $2 : NaN):($3 - 0.1) every ::1 with points pt 7 ps 0.5 lc rgb "#d95f02" title "static plan"
set autoscale y
set title "deadline-miss rate (per window)"
set ylabel "fraction missed"
set yrange [0:1.05]
plot dir."/windows.csv" using (strcol(1) eq "map" ? $2 : NaN):3 every ::1 with linespoints lw 2 pt 7 lc rgb "#1b9e77" title "map + detector", \
     dir."/windows.csv" using (strcol(1) eq "static" ? $2 : NaN):3 every ::1 with linespoints lw 2 pt 5 lc rgb "#d95f02" title "static plan"
set autoscale y
set title "reward: 0 when late, else exp(accuracy) + 1/latency_ms (per window; oracle predicted)"
set ylabel "reward"
plot dir."/oracle.csv" using 1:7 every ::1 with steps lw 1 lc rgb "gray50" title "oracle (predicted)", \
     dir."/windows.csv" using (strcol(1) eq "map" ? $2 : NaN):5 every ::1 with linespoints lw 2 pt 7 lc rgb "#1b9e77" title "map + detector (measured)", \
     dir."/windows.csv" using (strcol(1) eq "static" ? $2 : NaN):5 every ::1 with linespoints lw 2 pt 5 lc rgb "#d95f02" title "static plan (measured)"
unset multiplot
