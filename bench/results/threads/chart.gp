set terminal pngcairo noenhanced size 1400,700 font ",11"
set output 'chart.png'
set title "Thread-safe queues T1-T5: median items/s by wall time (T4: round trips/s); log scale, higher is better\nsee results.md for the machine and the load"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set logscale y 10
set yrange [1000:*]
set format y "%.0s%c"
set ylabel "items per second"
set grid ytics
set key outside right top
plot 'chart.dat' using 2:xtic(1) title columnheader(2) lc rgb '#d62728', 'chart.dat' using 3:xtic(1) title columnheader(3) lc rgb '#7f7f7f', 'chart.dat' using 4:xtic(1) title columnheader(4) lc rgb '#c7c7c7', 'chart.dat' using 5:xtic(1) title columnheader(5) lc rgb '#ff7f0e', 'chart.dat' using 6:xtic(1) title columnheader(6) lc rgb '#17becf', 'chart.dat' using 7:xtic(1) title columnheader(7) lc rgb '#1f77b4', 'chart.dat' using 8:xtic(1) title columnheader(8) lc rgb '#8c564b', 'chart.dat' using 9:xtic(1) title columnheader(9) lc rgb '#2ca02c', 'chart.dat' using 10:xtic(1) title columnheader(10) lc rgb '#9467bd'
