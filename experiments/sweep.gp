# Figs. 6-8: exit and cut (left) and latency (right) of the Edgent plan vs bandwidth or
# deadline, the paper's grid (top) and the grid scaled to the model (bottom).
# Called with -e "dir='...'; kind='bandwidth'|'deadline'" [-e "grids='g1 g2'; name='...'"].
set terminal pngcairo size 1400,1000 font ",11" noenhanced
set output dir."/".(exists("name") ? name : kind).".png"
set datafile separator ","
set grid
set key box opaque
if (!exists("grids")) grids = "paper scaled"
if (!exists("name")) name = kind
if (!exists("what")) what = "branchy AlexNet, Fashion-MNIST; device = this core slowed down"
file = dir."/".name.".csv"
xc = (kind eq "bandwidth") ? 2 : 3
set multiplot layout words(grids),2 title sprintf("Edgent plan vs %s (%s)", kind, what)
do for [g in grids] {
  fixed = system(sprintf("awk -F, '$1==\"%s\" {print %s; exit}' %s", g, (kind eq "bandwidth") ? "$3 \" ms deadline\"" : "$2 \" kbit/s\"", file))
  if (kind eq "bandwidth") {
    set logscale x
    set xlabel "bandwidth (kbit/s, log scale; tbf rate both ways)"
    if (g eq "paper") { set xrange [40:2000] } else { if (g eq "scaled") { set xrange [800:65000] } else { set autoscale x } }
  } else {
    unset logscale x
    set xlabel "deadline (ms)"
    set autoscale x
  }
  if (g eq "paper" || g eq "scaled") { set key bottom right } else { set key center right }
  label = (g eq "paper" || g eq "scaled") ? sprintf("%s grid, %s", g, fixed) : fixed
  set title sprintf("%s: chosen exit and cut", label)
  set ylabel "exit (1-5)"
  set y2label "cut (units before the cut; device-first cut 0 = edge-only)"
  set yrange [0:6]
  if (g eq "paper" || g eq "scaled") { set y2range [0:17] } else { set y2range [0:20] }
  set ytics 1 nomirror
  set y2tics 2
  plot file using (strcol(1) eq g ? column(xc) : NaN):4 every ::1 with linespoints lw 2 pt 7 title "exit", \
       "" using (strcol(1) eq g ? column(xc) : NaN):5 every ::1 axes x1y2 with linespoints lw 2 pt 5 dt 2 title "cut", \
       "" using (strcol(1) eq g && strcol(6) eq "edge-first" ? column(xc) : NaN):5 every ::1 axes x1y2 with points pt 6 ps 3 lc rgb "black" title "cut, edge-first order", \
       "" using (strcol(1) eq g && strcol(7) eq "none" ? column(xc) : NaN):5 every ::1 axes x1y2 with points pt 4 ps 3 lc rgb "gray40" title "device-only (nothing sent)"
  unset y2label
  unset y2tics
  set ytics auto mirror
  set autoscale y
  set logscale y
  set offsets 0, 0, graph 0.08, 0
  set key top left
  set title sprintf("%s: latency of that plan", label)
  set ylabel "latency per request (ms, log scale)"
  plot file using (strcol(1) eq g ? column(xc) : NaN):9 every ::1 with linespoints lw 2 pt 7 title "predicted (edgent-plan)", \
       "" using (strcol(1) eq g ? column(xc) : NaN):10 every ::1 with linespoints lw 2 pt 5 title "measured mean (testbed)", \
       "" using (strcol(1) eq g ? column(xc) : NaN):12 every ::1 with linespoints lw 1 pt 4 dt 2 title "measured p95", \
       "" using (strcol(1) eq g ? column(xc) : NaN):3 every ::1 with lines lw 2 lc rgb "red" title "deadline"
  unset logscale y
  set offsets 0, 0, 0, 0
}
unset multiplot
