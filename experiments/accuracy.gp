# Fig. 9: accuracy vs deadline per strategy, predicted (lines; 0 when the strategy's fastest
# plan misses the deadline) and measured correct-within-deadline (points).
# Called with -e "dir='...'; bw='400'".
set terminal pngcairo size 1400,620 font ",11" noenhanced
set output dir."/accuracy.png"
set datafile separator ","
set grid
set key center center box opaque
pred = dir."/predicted.csv"
meas = dir."/measured.csv"
set multiplot layout 1,words(grids) title sprintf("Accuracy under a deadline at %s kbit/s (lines: planner, 0 = no plan meets the deadline; points: measured on the testbed)", bw)
set ylabel "accuracy (top-1, fraction)"
set yrange [0:1]
array S[4] = ["edgent", "device-only", "edge-only", "partition-only"]
array C[4] = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a"]
array D[4] = [1, 2, 3, 4]
if (!exists("grids")) grids = "paper"
do for [g in grids] {
  set title sprintf("%s grid", g)
  set xlabel "deadline (ms)"
  set autoscale x
  plot for [i=1:4] pred using (strcol(1) eq g && strcol(3) eq S[i] ? $2 : NaN):($4 == 1 ? $9 : 0) every ::1 \
         with steps lw 2 dt D[i] lc rgb C[i] title S[i]." (planner)", \
       for [i=1:4] meas using (strcol(1) eq g && strcol(3) eq S[i] ? $2 : NaN):12 every ::1 \
         with points pt 7 ps 1.5 lc rgb C[i] title S[i]." measured, correct in time"
}
unset multiplot
