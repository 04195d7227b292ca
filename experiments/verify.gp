# Achieved bulk rate vs the tbf rate, both directions, with y = x. Called with -e "dir='...'".
set terminal pngcairo size 800,700 font ",11" noenhanced
set output dir."/verify.png"
set datafile separator ","
set grid
set logscale xy
set key top left box opaque
set title "Testbed shaping: bulk TCP transfer vs tbf rate (veth between two namespaces)"
set xlabel "tbf rate (kbit/s, log scale)"
set ylabel "achieved payload rate (kbit/s, log scale)"
f = dir."/verify.csv"
plot x with lines dt 2 lc rgb "black" title "y = x", \
     f using (strcol(2) eq "up" ? $1 : NaN):4 every ::1 with points pt 7 ps 1.5 title "uplink (device -> edge)", \
     f using (strcol(2) eq "down" ? $1 : NaN):4 every ::1 with points pt 6 ps 2 title "downlink (edge -> device)"
