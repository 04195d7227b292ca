# Fig. 5 style: predicted vs measured latency per unit (and per exit chain), log-log, y = x.
# Called with -e "dir='...'; dm='<device MAPE>'; em='<edge MAPE>'".
set terminal pngcairo size 900,800 font ",11" noenhanced
set output dir."/regression.png"
set datafile separator ","
set grid
set logscale xy
set key top left box opaque
set title sprintf("Latency regressions (edgent-fit, units held out): unit MAPE device %s %%, edge %s %%", dm, em)
set xlabel "measured latency (ms, profile median, log scale)"
set ylabel "predicted latency (ms, regression, log scale)"
set xrange [0.001:30]
set yrange [0.001:30]
f = dir."/regression.csv"
plot x with lines lc rgb "black" dt 2 title "y = x", \
     f using (strcol(1) eq "device" && strcol(2) eq "unit" ? $7 : NaN):8 every ::1 with points pt 7 lc rgb "#d95f02" title "device units (dilated)", \
     f using (strcol(1) eq "edge" && strcol(2) eq "unit" ? $7 : NaN):8 every ::1 with points pt 5 lc rgb "#1b9e77" title "edge units", \
     f using (strcol(1) eq "device" && strcol(2) eq "chain" ? $7 : NaN):8 every ::1 with points pt 9 ps 2 lc rgb "#d95f02" title "device exit chains", \
     f using (strcol(1) eq "edge" && strcol(2) eq "chain" ? $7 : NaN):8 every ::1 with points pt 11 ps 2 lc rgb "#1b9e77" title "edge exit chains"
