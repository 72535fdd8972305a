set terminal pngcairo noenhanced size 1100,600 font ",11"
set output 'chart.png'
set title "Redis queue: items per second (log scale; higher is better)\nlimit: redis-benchmark -c 1, -P 1 (R1, R3) or -P 100 (R2)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set logscale y 10
set ylabel "items per second"
set grid ytics
set key outside right top
plot 'chart.dat' using 2:xtic(1) title columnheader(2), '' using 3 title columnheader(3), '' using 4 title columnheader(4)
