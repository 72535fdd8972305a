// bench/net/tokio: the Tokio echo server of the networking family (E1-E4): a current_thread
// runtime, tokio::net::TcpListener on 127.0.0.1 (port chosen by the OS), one task per
// connection reading up to 64 KiB and writing it back (write_all). Prints "PORT <n>", serves
// until killed.
use std::io::Write;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn echo(mut sock: TcpStream) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if sock.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_io().build().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("PORT {}", listener.local_addr().unwrap().port());
        std::io::stdout().flush().unwrap();
        loop {
            if let Ok((sock, _)) = listener.accept().await {
                let _ = sock.set_nodelay(true);
                tokio::spawn(echo(sock));
            }
        }
    });
}
