set terminal pngcairo size 1200,600 noenhanced font ',10'
set output 'chart.png'
set title 'Echo servers on loopback: throughput relative to a bare epoll loop (median of per-round ratios; 1 = the floor)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics
set xtics rotate by -30 scale 0
set key top right
set ylabel 'throughput / floor'
plot 'chart.dat' using 2:xtic(1) title 'E1 1 conn rt/s', '' using 3 title 'E2 100 conns rt/s', '' using 4 title 'E3 1 GiB stream MB/s', 1 notitle lc rgb 'black' dt 2
